/* tests/hcs_double/hcsd_schema.h - the shape of the HCS schema table (hcsd_schema_table.c, generated
 * by gen_schema_table.py from the project's HCS schema 2.x extract).
 *
 * Every type is an object with a fixed set of fields, sorted by name (strcmp order). A field is a
 * scalar, an object of another type, or an array / map (JSON object with free keys) of one of those. */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_SCHEMA_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_SCHEMA_H

#include <stddef.h>

typedef enum hv_kind {
  HV_NONE,
  HV_STRING,
  HV_GUID, /* a string 8-4-4-4-12 hex digits, no braces (SchemaReference.md "Guid") */
  HV_BOOL,
  HV_UINT8,
  HV_UINT16,
  HV_INT32,
  HV_UINT32,
  HV_INT64,
  HV_UINT64,
  HV_NUMBER,
  HV_ANY,
  HV_OBJECT, /* of hcsd_schema_types[type] */
  HV_ARRAY,  /* of elem (and type when elem is HV_OBJECT) */
  HV_MAP,    /* JSON object with any keys, values of elem */
} hv_kind;

typedef struct hv_field {
  const char *name;
  hv_kind kind;
  hv_kind elem;                   /* element kind of HV_ARRAY / HV_MAP, else HV_NONE */
  int type;                       /* index into hcsd_schema_types for HV_OBJECT (field or element) */
  const char *const *enum_values; /* NULL-terminated allowed strings (field or element), or NULL */
  int fixed_len;                  /* HV_ARRAY: exact element count, 0 = any */
} hv_field;

typedef struct hv_type {
  const char *name;
  const hv_field *fields; /* sorted by name */
  size_t field_count;
} hv_type;

extern const hv_type hcsd_schema_types[]; /* sorted by name */
extern const size_t hcsd_schema_type_count;

#endif
