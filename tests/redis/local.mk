# tests/redis -- lib/redis*.c against a private redis-server (cmocka).
#
# Each test starts its own redis-server (tests/redis/redis_fixture.c) in a
# temporary directory: unix socket, and a free 127.0.0.1 port when needed.

PW_REDIS_TESTS = \
	tests/redis/test_redis \
	tests/redis/test_redis_async
check_PROGRAMS += $(PW_REDIS_TESTS)
TESTS += $(PW_REDIS_TESTS)

PW_REDIS_FIXTURE = tests/redis/redis_fixture.c tests/redis/redis_fixture.h

tests_redis_test_redis_SOURCES = tests/redis/test_redis.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_redis_CFLAGS = $(PW_TEST_CFLAGS)
tests_redis_test_redis_LDADD = $(PW_TEST_LIBS)

tests_redis_test_redis_async_SOURCES = tests/redis/test_redis_async.c \
	$(PW_REDIS_FIXTURE)
tests_redis_test_redis_async_CFLAGS = $(PW_TEST_CFLAGS)
tests_redis_test_redis_async_LDADD = $(PW_TEST_LIBS)
