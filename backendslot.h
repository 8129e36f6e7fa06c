/*-------------------------------------------------------------------------
 *
 * backendslot.h
 *		Per-backend slots: what each backend's running statement writes,
 *		the files its open transaction created, the stop requests of the
 *		worker (backendslot.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		backendslot.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_BACKENDSLOT_H
#define DISKQUOTA_BACKENDSLOT_H

#include "catalog/objectaccess.h"
#include "storage/backendid.h"
#include "storage/relfilenode.h"
#include "tcop/utility.h"

#include "diskquota_common.h"

/*
 * Writes of one statement a slot holds; the targets of more are kept apart
 * (backendslot.c).  A backend describes at most DQ_MAX_QUERY_WRITES for
 * one query.
 */
#define DQ_MAX_STATEMENT_WRITES 16
#define DQ_MAX_QUERY_WRITES 64

typedef struct DiskquotaSlotWrite
{
	Oid			relid;			/* InvalidOid: a relation still to be created */
	Oid			nspoid;			/* InvalidOid: temporary, or partitioned */
	Oid			owner;			/* InvalidOid: partitioned */
	Oid			spcoid;			/* tablespace of its files; InvalidOid:
								 * partitioned */
	bool		temp;			/* a temporary relation (partitioned or not) */
} DiskquotaSlotWrite;

typedef struct DiskquotaSlotFile
{
	RelFileNode rnode;
	BackendId	backend;		/* for temporary relations */
	Oid			nspoid;			/* charged schema, InvalidOid if temporary */
	Oid			owner;			/* charged role */
} DiskquotaSlotFile;

extern Size diskquota_slot_shmem_size(void);
extern void diskquota_slot_shmem_init(void);
extern void diskquota_slot_register_xact_callbacks(void);
extern uint64 diskquota_slot_begin_write(bool outermost,
										 const DiskquotaSlotWrite *writes, int n,
										 int overflow);
extern void diskquota_slot_end_write(void);
extern int	diskquota_slot_copy_writes(DiskquotaSlotWrite *buf);
extern bool diskquota_slot_cancel_requested(uint64 generation);
extern bool diskquota_slot_cancel_target(uint64 generation,
										 DiskquotaTarget *target,
										 bool withdraw);
extern void diskquota_slot_publish_new_files(Oid relid);

/* what did not fit in the slots, for diskquota_slot_collect() */
#define DQ_SLOT_FILES_OVERFLOW	0x01	/* files of an open transaction */
#define DQ_SLOT_WRITES_OVERFLOW	0x02	/* relations a statement writes */
#define DQ_SLOT_TEMP_OVERFLOW	0x04	/* ... and some are temporary */

extern bool diskquota_slot_collect(Oid dbid, bool temp_only, List **written,
								   List **files, int *overflow, bool *temp_writes);
extern bool diskquota_slot_prepared_pending(Oid dbid);
extern void diskquota_slot_cancel_writers(Oid dbid,
										  bool (*is_rejected_write) (const DiskquotaSlotWrite *write,
																	 DiskquotaTarget *target),
										  bool (*newly_rejected) (uint64 epoch,
																  DiskquotaTarget *target),
										  volatile bool *paused);
extern void diskquota_slot_withdraw_cancels(Oid dbid);
extern void diskquota_slot_set_maintenance(uint64 generation, int64 budget,
										   const DiskquotaTarget *target);
extern void diskquota_slot_check_maintenance(Oid dbid,
											 int64 (*file_bytes) (const DiskquotaSlotFile *file),
											 volatile bool *paused);
extern TransactionId diskquota_prepared_xid(const char *gid);
extern void diskquota_prepared_committed(TransactionId xid);
extern void diskquota_slot_replace_write(const DiskquotaSlotWrite *old,
										 const DiskquotaSlotWrite *replacement);

/* Steps of the hooks (diskquota.c) */
extern void diskquota_slot_object_access(ObjectAccessType access, Oid classId,
										 Oid objectId, int subId, void *arg);
extern void diskquota_slot_utility_done(PlannedStmt *pstmt);

#endif							/* DISKQUOTA_BACKENDSLOT_H */
