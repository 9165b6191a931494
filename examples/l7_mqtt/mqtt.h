/* SPDX-License-Identifier: MIT */
/* The MQTT plugin's parts: packets (mqtt.c), MQTT 5 properties (props.c). */
#ifndef L7_MQTT_H
#define L7_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline unsigned mqtt_be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A Variable Byte Integer at *at within [b, b+n); false when cut or longer
 * than four bytes. */
bool mqtt_varint(const uint8_t *b, size_t n, size_t *at, size_t *v);
/* The properties at *at (their length first) into attributes of the
 * current record; *at moves past them. False when malformed. */
bool mqtt_properties(const uint8_t *b, size_t n, size_t *at);

#endif
