# tests/fuzz -- libFuzzer harnesses, one per parser (--enable-fuzzers,
# CC=clang-14).  tests/fuzz/run.sh runs each for a bounded number of
# inputs from its seed corpus in tests/fuzz/corpus/<name>/.

if ENABLE_FUZZERS
PW_FUZZERS =
noinst_PROGRAMS += $(PW_FUZZERS)
endif
