/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c: the one audit line for a change to a record, the same keys on every line. */
#include "config.h"

#include <stdio.h>

#include "totp.h"

int totp_audit_format(const totp_audit *a, char *buf, size_t size)
{
    if (a == NULL || buf == NULL || size == 0)
        return TOTP_EINVAL;
    char uid[24] = "";
    if (a->actor_uid >= 0)
        snprintf(uid, sizeof(uid), "%lld", a->actor_uid);
    const char *fields[][2] = {
        {"action", a->action},   {"result", a->result}, {"user", a->user},
        {"store", a->store},     {"record", a->record}, {"how", a->how},
        {"actor", a->actor},     {"actor_uid", uid},    {"sudo_user", a->sudo_user},
        {"service", a->service}, {"rhost", a->rhost},   {"reason", a->reason},
    };
    size_t len = 0;
    int rc = TOTP_OK;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        int r = totp_logfmt_add(buf, size, &len, fields[i][0], fields[i][1]);
        if (r != TOTP_OK)
            rc = r;
        if (r == TOTP_EBUFFER && len + 1 >= size)
            break;
    }
    return rc;
}
