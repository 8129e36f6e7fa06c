/*-------------------------------------------------------------------------
 *
 * relfile.h
 *		Relation files: their names on disk and their sizes by stat()
 *		(relfile.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		relfile.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_RELFILE_H
#define DISKQUOTA_RELFILE_H

#include "catalog/pg_class.h"
#include "common/relpath.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/relfilenode.h"
#include "utils/relcache.h"

extern bool diskquota_parse_relation_file_name(const char *name, Oid *relfilenode,
											   BackendId *backend, ForkNumber *fork);
extern int64 diskquota_fork_size(RelFileNode rnode, BackendId backend, ForkNumber fork);
extern int64 diskquota_relfilenode_size(RelFileNode rnode, BackendId backend,
										char relkind, char relpersistence,
										int64 *main_size);
extern bool diskquota_pg_class_files(Oid relid, Form_pg_class form,
									 RelFileNode *rnode, BackendId *backend);
extern int64 diskquota_relation_size(Oid relid);
extern int64 diskquota_table_size_in(Oid relid, Oid spcoid, Relation pg_index);

/* The tablespace the files of a relation are in */
static inline Oid
diskquota_relation_tablespace(Oid reltablespace)
{
	return OidIsValid(reltablespace) ? reltablespace : MyDatabaseTableSpace;
}

#endif							/* DISKQUOTA_RELFILE_H */
