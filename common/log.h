/* SPDX-License-Identifier: MIT */
/* Logging shared by the runner and the view: silent by default, -v raises the level. */
#ifndef GROOT_LOG_H
#define GROOT_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE,
};

/* Exit statuses are an interface (ARCHITECTURE.md, "Command line"). */
enum groot_exit {
	GROOT_EXIT_USAGE = 2,        /* bad command line or profile */
	GROOT_EXIT_FAILURE = 125,    /* groot itself failed */
	GROOT_EXIT_NOT_EXECUTABLE = 126,
	GROOT_EXIT_NOT_FOUND = 127,
};

extern enum log_level log_level;

/* Set the program name printed before every message ("groot", "groot-fs"). */
void log_set_program(const char *name);
/* Send messages to this fd instead of stderr (the tracer keeps stderr for the guest). */
void log_set_fd(int fd);

void log_message(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmessage(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)                                                                              \
	do {                                                                                       \
		if (log_level >= LOG_LEVEL_INFO)                                                   \
			log_message(LOG_LEVEL_INFO, __VA_ARGS__);                                  \
	} while (0)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_level >= LOG_LEVEL_DEBUG)                                                  \
			log_message(LOG_LEVEL_DEBUG, __VA_ARGS__);                                 \
	} while (0)
#define log_trace(...)                                                                             \
	do {                                                                                       \
		if (log_level >= LOG_LEVEL_TRACE)                                                  \
			log_message(LOG_LEVEL_TRACE, __VA_ARGS__);                                 \
	} while (0)

/* Print an error and exit with status; only before the first fork (bubblewrap's rule). */
_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
