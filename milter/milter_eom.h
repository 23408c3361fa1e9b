/*
 * milter_eom.h -- the end of a message (milter_eom.c): what the milter
 * removes, adds, signs, logs and records once the message is complete.
 */
#ifndef PW_MILTER_EOM_H
#define PW_MILTER_EOM_H

#include <stddef.h>

#include <libmilter/mfapi.h>

#include "milter_conn.h"

/*
 * Finish conn->msg, its queue id read again by the caller: log why its
 * sender has no tenant, then a tenant's message gets the whole of
 * milter_eom.c, an owned one the removals and the signature, any other
 * mail the signature only; a refused tenant's message has its quota
 * given back (milter_refund).
 *   0  go on (accept)
 *   1  reject: the reply (550 5.6.0 and why) is set with smfi_setreply
 *  -1  tempfail: what says why, for the log ("tenant=T: why")
 * The caller then ends the message (milter_msg_end).
 */
int	milter_eom_run(SMFICTX *ctx, struct milter_conn *conn, char *what,
	    size_t whatsize);

#endif
