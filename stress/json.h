/*
 * json.h: a small streaming JSON writer for urcu-tlb-stress --json.
 *
 * Members inside an object take a key; values inside an array take NULL.
 * Commas, indentation and string escapes are the writer's business.
 */
#ifndef URCU_TLB_JSON_H
#define URCU_TLB_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* nothing written yet at this level */
};

void json_init(struct json *j, FILE *out);
void json_object(struct json *j, const char *key);	/* { */
void json_array(struct json *j, const char *key);	/* [ */
void json_end_object(struct json *j);			/* } */
void json_end_array(struct json *j);			/* ] */
void json_string(struct json *j, const char *key, const char *value);	/* NULL: null */
void json_ulong(struct json *j, const char *key, unsigned long value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
/* After the outermost value: a newline. */
void json_finish(struct json *j);

#endif /* URCU_TLB_JSON_H */
