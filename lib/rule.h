/*
 * rule.h -- the refusal rules of postwarden-policyd and what each one
 * answers: one table, rule -> SMTP code, enhanced status code, reply
 * text and the rule name that events and log lines carry.
 *
 * Exports: enum pw_rule, struct pw_rule_entry, pw_rule_get(),
 * pw_rule_event(), pw_rule_by_check(), pw_rule_reply().
 *
 * The table is the "REPLIES" table of postwarden-policyd(8), row by row
 * (tests/daemon/man_replies.sh checks the two agree).  A decision picks
 * a rule (an enum, never a string), and the reply is made from the
 * rule's row: the text is a template whose every "%s" is the next
 * argument, so that no caller writes a reply text of its own.
 *
 * Pure: a constant table, no state; any thread.
 *
 * Security: arguments go into the reply as they are: the caller passes
 * only text it made safe (validated key ids and tenant names, numbers it
 * formatted, Redis text reduced to a safe alphabet).
 */
#ifndef PW_RULE_H
#define PW_RULE_H

#include <stddef.h>

/* Every answer of a decision; in the order of the manual's table. */
enum pw_rule {
	PW_RULE_NONE = 0,		/* admitted, or passed: DUNNO */
	PW_RULE_UNKNOWN_KEY,		/* a valid key id, no such key */
	PW_RULE_ADDRESS,		/* recipient without a normal form */
	PW_RULE_SENDER_ADDRESS,		/* sender without a normal form */
	PW_RULE_INVALID_USER,		/* a user name that is no key id */
	PW_RULE_KEY_DISABLED,
	PW_RULE_TENANT_DISABLED,
	PW_RULE_KEY_SUSPENDED,
	PW_RULE_TENANT_SUSPENDED,
	PW_RULE_SENDER_DOMAIN,		/* not a sending domain of the tenant */
	PW_RULE_SENDER_BARE,		/* a sender without a domain */
	PW_RULE_NO_DOMAINS,		/* a tenant without sending domains */
	PW_RULE_COUNTRY,
	PW_RULE_COUNTRY_UNKNOWN,
	PW_RULE_SUPPRESSED_ADDRESS,
	PW_RULE_SUPPRESSED_DOMAIN,
	PW_RULE_SIZE,
	PW_RULE_RECIPIENTS,		/* recipients per message */
	PW_RULE_RATE,
	PW_RULE_QUOTA,			/* hour, day or month; key or tenant */
	PW_RULE_INVALID_LIMIT,		/* a limit field it cannot read */
	PW_RULE_FAIL,			/* Redis failure, fail mode defer */
	PW_RULE_COUNT
};

struct pw_rule_entry {
	enum pw_rule	 rule;
	const char	*label;		/* the manual's row: "key disabled" */
	/*
	 * The check of lua/rcpt.lua that refuses with it (its reply
	 * {"refuse", check, ...}), NULL for a rule decided in C.  Rows of
	 * one check follow each other, the first one named by it.
	 */
	const char	*check;
	const char	*event;		/* events' and log lines' rule= */
	int		 code;		/* 550; 0 for DUNNO */
	const char	*status;	/* enhanced status "5.7.1"; "" */
	const char	*text;		/* template: "%s" takes an argument */
};

/* The row of rule r (r < PW_RULE_COUNT). */
const struct pw_rule_entry *pw_rule_get(enum pw_rule r);

/* The rule name events and log lines carry: "quota", "-" for NONE. */
const char *pw_rule_event(enum pw_rule r);

/*
 * The first rule of a check of lua/rcpt.lua ("status" ->
 * PW_RULE_KEY_DISABLED), PW_RULE_NONE for a name that is none.
 */
enum pw_rule pw_rule_by_check(const char *check);

/*
 * The reply of rule r into buf: "CODE STATUS text" with the template's
 * "%s" replaced by args[0], args[1], ... in order (missing ones: ""),
 * or "DUNNO" for PW_RULE_NONE.  Truncated to bufsize (> 0); returns buf.
 */
char	*pw_rule_reply(enum pw_rule r, char *buf, size_t bufsize,
	    const char *const *args, size_t nargs);

#endif
