/*
 * rule.c -- the reply table of postwarden-policyd's rules (see rule.h).
 *
 * Exports: pw_rule_get, pw_rule_event, pw_rule_by_check, pw_rule_reply.
 *
 * Pure: a constant table; any thread.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rule.h"

/*
 * The arguments, by row: a name is "API key K" or "tenant T" (quota:
 * "key K"); times are ISO 8601 UTC.
 */
static const struct pw_rule_entry pw_rule_table[PW_RULE_COUNT] = {
	{ PW_RULE_NONE, "admitted, passed", NULL, "-", 0, "", "" },
	/* key id */
	{ PW_RULE_UNKNOWN_KEY, "unknown key", NULL, "unknown_key", 550,
	    "5.7.1", "API key %s is not known" },
	/* lib/address's reason */
	{ PW_RULE_ADDRESS, "address", NULL, "address", 550, "5.1.3",
	    "Bad recipient address: %s" },
	/* lib/address's reason */
	{ PW_RULE_SENDER_ADDRESS, "sender address", NULL, "sender_address",
	    550, "5.1.7", "Bad sender address: %s" },
	{ PW_RULE_INVALID_USER, "invalid user name", NULL, "unknown_key", 550,
	    "5.7.1", "Authenticated user name is not a valid API key" },
	/* key id or tenant */
	{ PW_RULE_KEY_DISABLED, "key disabled", "status", "status", 550,
	    "5.7.1", "API key %s is disabled" },
	{ PW_RULE_TENANT_DISABLED, "tenant disabled", "status", "status", 550,
	    "5.7.1", "Tenant %s is disabled" },
	{ PW_RULE_KEY_SUSPENDED, "key suspended", "status", "status", 451,
	    "4.7.1", "API key %s is suspended" },
	{ PW_RULE_TENANT_SUSPENDED, "tenant suspended", "status", "status",
	    451, "4.7.1", "Tenant %s is suspended" },
	/* domain, tenant */
	{ PW_RULE_SENDER_DOMAIN, "sender domain", "sender", "sender_domain",
	    550, "5.7.1", "Sender domain %s is not a sending domain of "
	    "tenant %s" },
	/* tenant */
	{ PW_RULE_SENDER_BARE, "sender without domain", "sender",
	    "sender_domain", 550, "5.7.1", "Sender address has no domain; "
	    "tenant %s sends only from its sending domains" },
	{ PW_RULE_NO_DOMAINS, "no sending domain", "sender", "sender_domain",
	    550, "5.7.1", "Tenant %s has no sending domain; add one with "
	    "postwarden domain add" },
	/* key id, country, allowed */
	{ PW_RULE_COUNTRY, "country", "country", "country", 550, "5.7.1",
	    "API key %s may not send from country %s (allowed: %s)" },
	/* key id, allowed */
	{ PW_RULE_COUNTRY_UNKNOWN, "country unknown", "country", "country",
	    550, "5.7.1",
	    "API key %s may not send from an unknown country (allowed: %s)" },
	/* tenant, reason, source, since, "" or "; expires TIME" */
	{ PW_RULE_SUPPRESSED_ADDRESS, "suppressed address", "suppressed",
	    "suppressed", 550, "5.7.1", "Recipient address suppressed by "
	    "tenant %s (%s, source %s, since %s)%s" },
	{ PW_RULE_SUPPRESSED_DOMAIN, "suppressed domain", "suppressed",
	    "suppressed", 550, "5.7.1", "Recipient domain suppressed by "
	    "tenant %s (%s, source %s, since %s)%s" },
	/* size, name, size, limit */
	{ PW_RULE_SIZE, "size", "size", "size", 552, "5.3.4",
	    "Message size of %s bytes exceeds the limit of %s (%s/%s)" },
	/* name, count, limit */
	{ PW_RULE_RECIPIENTS, "recipients per message", "recipients",
	    "recipients", 452, "4.5.3", "Too many recipients in one message "
	    "for %s (%s/%s); send the rest in another message" },
	/* name, rate, "second" | "minute" | "Ns", burst, next */
	{ PW_RULE_RATE, "rate", "rate", "rate", 451, "4.7.1",
	    "Rate limit of %s exceeded (%s per %s, burst %s); next at %s" },
	/* "Hourly" | "Daily" | "Monthly", name, used, limit, reset */
	{ PW_RULE_QUOTA, "quota", "quota", "quota", 451, "4.7.1",
	    "%s quota of %s exhausted (%s/%s); resets %s" },
	/* field, name */
	{ PW_RULE_INVALID_LIMIT, "invalid limit", "invalid", "invalid_limit",
	    451, "4.3.5",
	    "The %s setting of %s is not valid; try again later" },
	/* reason */
	{ PW_RULE_FAIL, "Redis failure (defer)", NULL, "fail", 451, "4.3.0",
	    "Policy service temporarily unavailable (%s); try again later" },
};

const struct pw_rule_entry *
pw_rule_get(enum pw_rule r)
{
	return &pw_rule_table[r < PW_RULE_COUNT ? r : PW_RULE_NONE];
}

const char *
pw_rule_event(enum pw_rule r)
{
	return pw_rule_get(r)->event;
}

enum pw_rule
pw_rule_by_check(const char *check)
{
	size_t i;

	for (i = 0; i < PW_RULE_COUNT; i++)
		if (pw_rule_table[i].check != NULL &&
		    strcmp(pw_rule_table[i].check, check) == 0)
			return pw_rule_table[i].rule;
	return PW_RULE_NONE;
}

char *
pw_rule_reply(enum pw_rule r, char *buf, size_t bufsize,
    const char *const *args, size_t nargs)
{
	const struct pw_rule_entry *e = pw_rule_get(r);
	const char *t, *s;
	size_t o, n = 0;
	int len;

	if (e->code == 0) {
		snprintf(buf, bufsize, "DUNNO");
		return buf;
	}
	len = snprintf(buf, bufsize, "%d %s ", e->code, e->status);
	o = len > 0 && (size_t)len < bufsize ? (size_t)len : bufsize - 1;
	for (t = e->text; *t != '\0' && o + 1 < bufsize; t++) {
		if (t[0] == '%' && t[1] == 's') {
			s = n < nargs && args[n] != NULL ? args[n] : "";
			n++;
			t++;
			for (; *s != '\0' && o + 1 < bufsize; s++)
				buf[o++] = *s;
		} else {
			buf[o++] = *t;
		}
	}
	buf[o] = '\0';
	return buf;
}
