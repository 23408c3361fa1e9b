/*
 * endpoint.c -- connect a test client (tests/policyd/pd_client,
 * tests/bench/bench_policy) to a daemon's endpoint: see endpoint.h.
 * Test support only: endpoints come from the tests themselves.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoint.h"

static int
pw_test_connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * host:port; host is a name, an IPv4 address or "[IPv6 address]".  A
 * source address, if not NULL, is bound first (127.0.0.2 tests a peer
 * that is not 127.0.0.1 without leaving the machine).
 */
static int
pw_test_connect_inet(const char *hostport, const char *source)
{
	struct addrinfo shints, *src = NULL;
	struct addrinfo hints, *res, *ai;
	const char *colon = strrchr(hostport, ':'), *h = hostport;
	char host[256];
	size_t hlen;
	int fd = -1;

	if (colon == NULL || colon == hostport) {
		errno = EINVAL;
		return -1;
	}
	hlen = (size_t)(colon - hostport);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&shints, 0, sizeof(shints));
	shints.ai_socktype = SOCK_STREAM;
	shints.ai_flags = AI_NUMERICHOST;
	if (source != NULL && getaddrinfo(source, NULL, &shints, &src) != 0) {
		freeaddrinfo(res);
		errno = EINVAL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) < 0)
			continue;
		if ((src == NULL || (src->ai_family == ai->ai_family &&
		    bind(fd, src->ai_addr, src->ai_addrlen) == 0)) &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (src != NULL)
		freeaddrinfo(src);
	return fd;
}

int
pw_test_connect(const char *endpoint)
{
	return pw_test_connect_from(endpoint, NULL);
}

int
pw_test_connect_from(const char *endpoint, const char *source)
{
	if (strncmp(endpoint, "unix:", 5) == 0)
		return pw_test_connect_unix(endpoint + 5);
	if (strncmp(endpoint, "inet:", 5) == 0)
		return pw_test_connect_inet(endpoint + 5, source);
	errno = EINVAL;
	return -1;
}
