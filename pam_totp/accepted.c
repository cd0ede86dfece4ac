/* SPDX-License-Identifier: Apache-2.0 */
/* accepted.c: the record that accepted a code in this PAM transaction, kept with pam_set_data. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>

#include "accepted.h"

static int data_name(char *buf, size_t size, const char *user)
{
    int n = snprintf(buf, size, "pam_totp:accepted:%s", user);
    return n > 0 && (size_t)n < size;
}

static void cleanup(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh, (void)status;
    free(data);
}

int accepted_remember(pam_handle_t *pamh, const char *user, const char *location)
{
    char name[512];
    if (user == NULL || location == NULL || location[0] == '\0' ||
        !data_name(name, sizeof(name), user))
        return 0;
    char *copy = strdup(location);
    if (copy == NULL)
        return 0;
    if (pam_set_data(pamh, name, copy, cleanup) != PAM_SUCCESS) {
        free(copy);
        return 0;
    }
    return 1;
}

static const char *remembered(pam_handle_t *pamh, const char *user)
{
    char name[512];
    const void *data = NULL;
    if (user == NULL || !data_name(name, sizeof(name), user) ||
        pam_get_data(pamh, name, &data) != PAM_SUCCESS)
        return NULL;
    return data;
}

int accepted_any(pam_handle_t *pamh, const char *user)
{
    return remembered(pamh, user) != NULL;
}

int accepted_before(pam_handle_t *pamh, const char *user, const char *location)
{
    const char *was = remembered(pamh, user);
    return was != NULL && location != NULL && strcmp(was, location) == 0;
}
