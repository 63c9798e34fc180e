// Package auth is HTTP basic authentication against HAProxy's userlist
// sections: users with crypt(3) hashed (MD5-crypt, SHA-256-crypt,
// SHA-512-crypt) or plain passwords, groups, and the http_auth,
// http_auth_group, http_auth_user, http_auth_pass and http_auth_type
// fetches. "http-request auth" (package rules) asks the client for
// credentials.
//
// # Model
//
// A Userlist is built once per configuration load; the fetches name it
// and find it through their compiled argument. Checking a password is
// crypt(3) in pure Go (crypt.go), compared in constant time, for every
// request that asks (as in HAProxy, which does not cache the result: a
// SHA-512-crypt hash costs 5000 rounds of SHA-512 per check).
// Credentials are decoded into the sample context's scratch buffer, so
// a request without an Authorization header costs nothing and one with
// it allocates nothing.
package auth
