/*-------------------------------------------------------------------------
 *
 * activetable.h
 *		The shared active-relation map: relations and files that changed
 *		since the worker last looked (activetable.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		activetable.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_ACTIVETABLE_H
#define DISKQUOTA_ACTIVETABLE_H

#include "catalog/objectaccess.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "diskquota_common.h"

/* A relation file set that the file-change feed saw change */
typedef struct DiskquotaFileRef
{
	Oid			spcnode;		/* tablespace (never InvalidOid) */
	Oid			relfilenode;
	uint8		forks;			/* the forks that changed: 1 << ForkNumber */
} DiskquotaFileRef;

extern Size diskquota_active_shmem_size(void);
extern void diskquota_active_shmem_init(void);
extern void diskquota_active_register_xact_callbacks(void);

/* Steps of the hooks (diskquota.c) */
extern void diskquota_active_object_access(ObjectAccessType access, Oid classId,
										   Oid objectId, int subId, void *arg);
extern void diskquota_active_ExecutorEnd(QueryDesc *queryDesc);
extern void diskquota_active_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
											bool readOnlyTree, ProcessUtilityContext context,
											ParamListInfo params, QueryEnvironment *queryEnv,
											DestReceiver *dest, QueryCompletion *qc,
											ProcessUtility_hook_type next);

/* Writers: backends, the feed (through the launcher) */
extern void diskquota_mark_relation_active(Oid relid);
extern void diskquota_mark_relation_active_at_end(Oid relid, bool catalog_change);
extern void diskquota_wake_worker_at_commit(void);
extern bool diskquota_mark_files_active(Oid dbid, const DiskquotaFileRef *files, int n);

/* Readers: the worker, the launcher */
extern List *diskquota_drain_active_relations(Oid dbid, List **files);
extern void diskquota_forget_database(Oid dbid);

#endif							/* DISKQUOTA_ACTIVETABLE_H */
