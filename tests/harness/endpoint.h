/*
 * endpoint.h -- connect a test client to a daemon's endpoint, written as
 * postwarden.conf writes it: "unix:/path" or "inet:host:port".
 */
#ifndef PW_TEST_ENDPOINT_H
#define PW_TEST_ENDPOINT_H

/* A blocking stream socket connected to endpoint, or -1 (errno set). */
int	pw_test_connect(const char *endpoint);
/* The same from a source address (inet only; NULL: any). */
int	pw_test_connect_from(const char *endpoint, const char *source);

#endif
