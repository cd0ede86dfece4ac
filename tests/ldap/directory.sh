# SPDX-License-Identifier: Apache-2.0
# directory.sh: sourced by the LDAP tests: the test directory's entries.
#
# load_directory USER...: through the caller's A (ldapadd as the administrator), the suffix
# $suffix, ou=people and ou=services under it, the PAM account $pam_dn (password pam-secret),
# and one inetOrgPerson a user (uid=USER, "*" spelled "star"; password USER-password).
load_directory() {
    local u uid
    A ldapadd >/dev/null <<EOF || return 1
dn: $suffix
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,$suffix
objectClass: organizationalUnit
ou: people

dn: ou=services,$suffix
objectClass: organizationalUnit
ou: services

dn: $pam_dn
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: pam_totp
userPassword: pam-secret
EOF
    for u in "$@"; do
        uid=$(printf '%s' "$u" | sed 's/\*/star/')
        A ldapadd >/dev/null <<EOF || return 1
dn: uid=$uid,ou=people,$suffix
objectClass: inetOrgPerson
uid: $uid
cn: $u
sn: $u
userPassword: $u-password
EOF
    done
}
