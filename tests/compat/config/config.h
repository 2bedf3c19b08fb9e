/*
 * tests/compat/config/config.h: what liburcu's configure writes into
 * include/config.h and its build force-includes (-include config.h) into
 * every test, reduced to what the tests read, for Linux with glibc >= 2.30.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#define HAVE_SCHED_SETAFFINITY 1
#define HAVE_GETTID 1
#define HAVE_LIBPTHREAD 1
#define HAVE_RAND_R 1
