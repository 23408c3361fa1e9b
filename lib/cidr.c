/*
 * cidr.c -- IPv4/IPv6 network parsing and matching (see cidr.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

int
pw_cidr_addr_parse(const char *text, struct pw_cidr_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, text, a->addr) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

int
pw_cidr_parse(const char *text, size_t len, struct pw_cidr *net)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct pw_cidr_addr a;
	unsigned max, i;
	long bits;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (pw_cidr_addr_parse(buf, &a) < 0)
		return -1;
	max = a.family == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 || bits < 0 ||
		    bits > (long)max)
			return -1;
	}
	net->family = a.family;
	memcpy(net->addr, a.addr, sizeof(net->addr));
	net->bits = (unsigned)bits;
	for (i = net->bits; i < max; i++)
		if (net->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	return 0;
}

bool
pw_cidr_match(const struct pw_cidr *net, const struct pw_cidr_addr *a)
{
	unsigned full = net->bits / 8, rest = net->bits % 8;

	if (net->family != a->family || memcmp(a->addr, net->addr, full) != 0)
		return false;
	return rest == 0 ||
	    ((a->addr[full] ^ net->addr[full]) & (0xff << (8 - rest)) & 0xff)
	    == 0;
}

int
pw_cidr_parse_mynetworks(const char *text, size_t len, struct pw_cidr *net)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *close;

	if (len < 2 || text[0] != '[' ||
	    (close = memchr(text, ']', len)) == NULL)
		return pw_cidr_parse(text, len, net);
	/* "[addr]" or "[addr]/bits": the same without the brackets. */
	if ((size_t)(close - text) + 1 != len && close[1] != '/')
		return -1;
	if (len - 2 >= sizeof(buf))
		return -1;
	memcpy(buf, text + 1, (size_t)(close - text) - 1);
	memcpy(buf + (close - text) - 1, close + 1,
	    len - (size_t)(close - text) - 1);	/* @UNSAFE: len - 2 bytes */
	return pw_cidr_parse(buf, len - 2, net);
}

int
pw_cidr_addr_from_sockaddr(const struct sockaddr *sa, struct pw_cidr_addr *a)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	memset(a, 0, sizeof(*a));
	switch (sa->sa_family) {
	case AF_INET:
		a->family = AF_INET;
		memcpy(a->addr, &sin->sin_addr, 4);
		return 0;
	case AF_INET6:
		/* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d. */
		if (memcmp(&sin6->sin6_addr, mapped, sizeof(mapped)) == 0) {
			a->family = AF_INET;
			memcpy(a->addr, (const unsigned char *)&sin6->sin6_addr +
			    sizeof(mapped), 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->addr, &sin6->sin6_addr, 16);
		}
		return 0;
	default:
		return -1;
	}
}
