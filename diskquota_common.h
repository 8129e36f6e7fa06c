/*-------------------------------------------------------------------------
 *
 * diskquota_common.h
 *		What every part of the diskquota extension shares: the kinds of
 *		quota target, the LWLocks of its shared structures, the reasons
 *		for degraded enforcement.
 *
 * Each module (x.c, and x.h declaring what it offers) includes only the
 * headers of the modules listed before it here; scripts/check-includes.sh
 * reads this list and checks that in the test command.
 *
 *	diskquota_common.h	this file: shared definitions
 *	settings			the settings (diskquota.*)
 *	relfile				relation files: names, sizes by stat()
 *	registry			the slots of the monitored databases
 *	ownobjects			the extension's own objects and own SQL
 *	activetable			the active-relation map (a store)
 *	quotamap			the quota map (a store)
 *	backendslot			the per-backend slots (a store)
 *	filefeed			the file-change feed, into the active map
 *	events				the event log, with its NOTIFY
 *	history				usage history, over-use, escalation levels
 *	policy				soft limits, grace periods, advisory thresholds
 *	quotamodel			the model: active map, sizes, quota map
 *	refusal				the quota error: message, detail, SQLSTATE, counting
 *	selfcharge			statements measuring their own growth, stopping themselves
 *	enforcement			refusing loads, from the quota map
 *	hold				the DROP DATABASE hold
 *	worker				the worker process
 *	launcher			the launcher process
 *	quotaconfig			the SQL functions that set quotas and pause
 *	selfservice			what tenants see of their own quotas, and their requests
 *	cleanup				the cleanup plan: what a tenant could free, and how
 *	diskquota_utility	the SQL functions that show and wait
 *	diskquota.c			_PG_init, settings, hooks
 *
 * The data path runs file event -> active map -> model -> quota map ->
 * enforcement: no module calls one that comes later on it (the stores sit
 * below the stages that write and read them).
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		diskquota_common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_COMMON_H
#define DISKQUOTA_COMMON_H

#define DISKQUOTA_EXTENSION_NAME "diskquota"

/* The LWLocks of the "diskquota" tranche, one per shared structure */
#define DQ_LWLOCK_SHARED	0	/* DiskquotaShared (registry.c) */
#define DQ_LWLOCK_ACTIVE	1	/* active-relation map (activetable.c) */
#define DQ_LWLOCK_QUOTA		2	/* quota map (quotamap.c) */
#define DQ_LWLOCK_CHARGED	3	/* charged-relation map (quotamap.c) */
#define DQ_NUM_LWLOCKS		4

/* Kinds of quota target.  The values are stored nowhere on disk. */
typedef enum DiskquotaQuotaType
{
	DQ_SCHEMA_QUOTA = 0,
	DQ_ROLE_QUOTA,
	DQ_SCHEMA_TABLESPACE_QUOTA,
	DQ_ROLE_TABLESPACE_QUOTA,
	DQ_DATABASE_QUOTA,
	DQ_NUM_QUOTA_TYPES
} DiskquotaQuotaType;

/*
 * What a quota limits: a schema or a role (oid), the part of it in one
 * tablespace (spcoid, else InvalidOid), or the database (oid).  Compared
 * and hashed as bytes: zero it before filling it.
 */
typedef struct DiskquotaTarget
{
	int32		type;			/* DiskquotaQuotaType */
	Oid			oid;
	Oid			spcoid;
} DiskquotaTarget;

/* Reasons for degraded enforcement, a bit mask in DiskquotaDBSlot */
#define DQ_DEGRADED_ACTIVE_MAP_FULL	0x01
#define DQ_DEGRADED_QUOTA_MAP_FULL	0x02
#define DQ_DEGRADED_SLOT_FULL		0x04
#define DQ_DEGRADED_FEED_OVERFLOW	0x08
#define DQ_DEGRADED_FEED_UNWATCHED	0x10
#define DQ_DEGRADED_REJECT_UNPUBLISHED	0x20

/*
 * The conditions that one refresh repairs (by a full rescan, or by counting
 * after commit) stay shown in diskquota.status() for this long after the
 * last refresh that met them; the others are shown while they last.
 */
#define DQ_DEGRADED_TRANSIENT \
	(DQ_DEGRADED_ACTIVE_MAP_FULL | DQ_DEGRADED_SLOT_FULL | DQ_DEGRADED_FEED_OVERFLOW)
#define DQ_DEGRADED_SHOWN_MS	60000

/*
 * The lock_timeout of the launcher and the workers (fixed at
 * PGC_S_OVERRIDE): they never wait for a lock longer than this.  Anyone
 * can queue an exclusive lock on a catalog behind a lock of their own
 * (ALTER INDEX pg_catalog.pg_index DEPENDS ON EXTENSION opens the relation
 * before checking anything), and everyone reading it waits behind that.
 * The worker's own locks conflict only with such exclusive locks, which
 * legitimate commands hold briefly; a refresh that times out is retried at
 * the next loop, several times before the database turns stale
 * (DQ_STALE_MS).
 */
#define DQ_LOCK_TIMEOUT		"1s"

#endif							/* DISKQUOTA_COMMON_H */
