/*
 * cidr.h -- IPv4/IPv6 networks: "addr" or "addr/bits" parsed once,
 * addresses matched against them.  Used by lib/identity (network table)
 * and the milter (milter_internal_networks).
 *
 * Networks must have their host bits zero, as in Postfix cidr tables, so
 * a typo such as 192.0.2.1/24 is an error rather than a silent /24.
 * Reentrant; no allocation.
 */
#ifndef PW_CIDR_H
#define PW_CIDR_H

#include <stdbool.h>
#include <stddef.h>

struct pw_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	unsigned	bits;
};

/* An address in binary form, for matching many networks. */
struct pw_cidr_addr {
	int		family;
	unsigned char	addr[16];
};

/* Parse len bytes of "addr" or "addr/bits"; 0, or -1 if malformed. */
int	pw_cidr_parse(const char *text, size_t len, struct pw_cidr *net);
/*
 * The same as Postfix's mynetworks writes it: an IPv6 address may be in
 * brackets ("[::1]/128").  Tables keep pw_cidr_parse (no brackets).
 */
int	pw_cidr_parse_mynetworks(const char *text, size_t len,
	    struct pw_cidr *net);
/* Parse a bare address (no brackets); 0, or -1 if it is not one. */
int	pw_cidr_addr_parse(const char *text, struct pw_cidr_addr *a);
struct sockaddr;
/*
 * A peer's address (AF_INET or AF_INET6; an IPv4-mapped IPv6 address
 * becomes IPv4); 0, or -1 for any other family.
 */
int	pw_cidr_addr_from_sockaddr(const struct sockaddr *sa,
	    struct pw_cidr_addr *a);
/* Whether a lies in net. */
bool	pw_cidr_match(const struct pw_cidr *net, const struct pw_cidr_addr *a);

#endif
