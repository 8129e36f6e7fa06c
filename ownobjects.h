/*-------------------------------------------------------------------------
 *
 * ownobjects.h
 *		The extension's own objects and the fixed settings of its own SQL
 *		(ownobjects.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		ownobjects.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_OWNOBJECTS_H
#define DISKQUOTA_OWNOBJECTS_H

#include "nodes/nodes.h"

extern void diskquota_fix_worker_settings(void);
extern void diskquota_check_worker_identity(void);
extern int	diskquota_internal_sql_begin(void);
extern void diskquota_internal_sql_end(int nestlevel);
extern int	diskquota_execute_internal(const char *sql, int nargs, Oid *argtypes,
									   Datum *values, const char *nulls);
extern PGDLLIMPORT int diskquota_internal_sql_depth;
extern Oid	diskquota_extension_schema(Oid extoid);
extern void diskquota_as_owner_begin(Oid *save_userid, int *save_sec);
extern void diskquota_as_owner_end(Oid save_userid, int save_sec);
extern Oid	diskquota_own_table(Oid extoid, const char *relname);
extern char *diskquota_qualified_name(Oid relid);
extern Oid	diskquota_own_table_oid(const char *relname);
extern char *diskquota_own_table_name(const char *relname);
extern uint64 diskquota_execute_own_sql(const char *sql, int nargs, Oid *argtypes,
										Datum *values, const char *nulls);
extern uint64 diskquota_count_own_rows_now(const char *sql, int nargs, Oid *argtypes,
										   Datum *values, const char *nulls);
extern bool diskquota_extension_stmt(Node *parsetree, bool *is_create);
extern void diskquota_check_extension_command(Node *parsetree);
extern void diskquota_check_extension_created(Node *parsetree);

#endif							/* DISKQUOTA_OWNOBJECTS_H */
