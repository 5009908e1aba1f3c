/*
 * common.h — helpers shared by the command-line tools: program name and
 * "prog: message" errors, password input, durations, time formatting.
 * Light on purpose: every tool links apps/common.o.
 */
#ifndef TESSERA_APPS_COMMON_H
#define TESSERA_APPS_COMMON_H

#include <stddef.h>

#include "krb.h"

#define APP_PASSWORD_MAX 1024

/* Remember the program name (basename of argv0) for messages. */
void app_init(const char *argv0);
const char *app_name(void);

/* "prog: message\n" on stderr. */
void app_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: <detail of the last failure on c>\n" (the code's message when no context). */
void app_krb_error(const krb_context *c, krb_err rc);

/* Read a password from the terminal without echo, after printing prompt.
 * Returns 0 on success, -1 on failure (no terminal, EOF, too long). */
int app_read_password(const char *prompt, char *buf, size_t cap);
/* Read one line (the password) from standard input, newline stripped.
 * Returns 0 on success, -1 on EOF, error or an over-long line. */
int app_read_password_stdin(char *buf, size_t cap);

/* Wipe a secret (not optimised away). */
void app_wipe(void *p, size_t n);

/* The login name ($USER, else $LOGNAME) into out; -1 with a message when
 * neither is set. */
int app_user_name(char *out, size_t cap);

/* Parse a duration ("10h", "90m", "7d", "3600") into microseconds; -1 if bad. */
int app_parse_duration(const char *s, krb_time *out);

/* Local time as "MM/DD/YYYY HH:MM:SS" (the klist habit). */
void app_format_time(krb_time t, char *buf, size_t cap);

/* Create a context; on failure print the reason and return NULL. */
krb_context *app_context(void);

#endif
