/*-------------------------------------------------------------------------
 *
 * diskquota.h
 *		Declarations shared by the parts of the diskquota extension.
 *
 * The extension is split by concern:
 *	diskquota.c			_PG_init, GUCs, shared memory sizing, the per-database
 *						slot array, launcher and worker main loops
 *	activetable.c		the shared active-relation map and the backend hooks
 *						that feed it
 *	quotamodel.c		the worker's size model and the shared quota map
 *						(published quotas, usage and rejections)
 *	enforcement.c		hooks that refuse loads into rejected targets, before
 *						and while a statement runs
 *	backendslot.c		per-backend slots: running statements, uncommitted
 *						relations, stop requests
 *	filefeed.c			the file-change feed (inotify), run by the launcher
 *	diskquota_utility.c	SQL-callable functions
 *	ownobjects.c		finding the extension's own tables, guarding its
 *						schema, the fixed settings of diskquota's own SQL
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		diskquota.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_H
#define DISKQUOTA_H

#include "datatype/timestamp.h"
#include "storage/backendid.h"
#include "common/relpath.h"
#include "storage/relfilenode.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "catalog/objectaccess.h"
#include "executor/executor.h"
#include "optimizer/planner.h"
#include "tcop/utility.h"
#include "utils/relcache.h"

#define DISKQUOTA_EXTENSION_NAME "diskquota"

/* The LWLocks of the "diskquota" tranche, one per shared structure */
#define DQ_LWLOCK_SHARED	0	/* DiskquotaShared (diskquota.c) */
#define DQ_LWLOCK_ACTIVE	1	/* active-relation map (activetable.c) */
#define DQ_LWLOCK_QUOTA		2	/* quota map (quotamodel.c) */
#define DQ_NUM_LWLOCKS		3

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

/* GUC variables (diskquota.c) */
extern char *diskquota_monitor_databases;
extern int	diskquota_naptime;
extern int	diskquota_max_active_tables;
extern int	diskquota_max_quotas;
extern int	diskquota_max_databases;
extern int	diskquota_full_rescan_interval;
extern int	diskquota_load_check_interval;
extern bool diskquota_file_feed;
extern bool diskquota_feed_simulate_overflow;

/*
 * State of one monitored database, as shown by diskquota.status().
 */
typedef enum DiskquotaDBState
{
	DQ_DB_UNUSED = 0,			/* slot is free */
	DQ_DB_STARTING,				/* worker registered, not yet running */
	DQ_DB_RUNNING,				/* worker is refreshing this database */
	DQ_DB_NO_DATABASE,			/* listed, but no such database */
	DQ_DB_NO_EXTENSION,			/* database exists, extension not created */
	DQ_DB_START_FAILED,			/* no background worker slot was free */
	DQ_DB_STOPPED,				/* worker exited; launcher will restart it */
	DQ_DB_STOPPING				/* no longer listed; worker being stopped */
} DiskquotaDBState;

/*
 * A quota is "near" when less than this is left of it: what a load writing
 * 1 GB/s adds in diskquota.naptime seconds.  While a quota of a database is
 * near, the file-change feed wakes its worker as files grow; otherwise the
 * worker refreshes every diskquota.naptime, which is soon enough.
 */
#define DQ_NEAR_QUOTA_BYTES		((int64) diskquota_naptime * 1024 * 1024 * 1024)

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
 * One slot per monitored database, in shared memory (diskquota.c).
 * All fields are protected by DiskquotaShared->lock; see diskquota.c.
 */
typedef struct DiskquotaDBSlot
{
	Oid			dbid;			/* InvalidOid while unknown */
	char		dbname[NAMEDATALEN];
	DiskquotaDBState state;
	int			worker_pid;		/* 0 when no worker runs */
	Latch	   *worker_latch;	/* NULL when no worker runs */
	bool		refreshing;		/* a refresh is under way */
	uint64		epoch;			/* completed refreshes */
	TimestampTz last_refresh;	/* end of the last refresh */
	double		last_refresh_ms;	/* its duration */
	int			degraded;		/* DQ_DEGRADED_* bits shown by status() */
	bool		rescan_requested;	/* next refresh must be a full rescan */
	int			pending_degraded;	/* DQ_DEGRADED_* bits reported by backends */
	uint64		full_rescans;	/* full rescans done by the current worker */
	uint64		extension_events_seen;	/* extension_events at worker start */
	bool		feed_watched;	/* the feed sees every file change here */
	bool		near_quota;		/* a quota is within DQ_NEAR_QUOTA_BYTES */
	bool		paused;			/* diskquota.pause(): enforce nothing */
	TimestampTz hold_until;		/* no worker before then (DROP DATABASE) */
	uint64		pause_changes;	/* pause() and resume() commits */
	TimestampTz blocked_since;	/* refreshes fail on a lock since (0: no) */
	TimestampTz expected_since; /* a refresh is expected since (launcher) */
	TimestampTz good_at;		/* last seen refreshing (launcher) */
	TimestampTz published_at;	/* the worker last published the quotas */
	bool		stale;			/* not refreshing for DQ_STALE_MS: fail closed */
	ConditionVariable epoch_cv; /* broadcast when epoch advances */
} DiskquotaDBSlot;

typedef struct DiskquotaSharedState
{
	LWLock	   *lock;			/* protects launcher_* and dbs[] */
	int			launcher_pid;
	Latch	   *launcher_latch;
	uint64		extension_events;	/* CREATE/DROP EXTENSION diskquota count */
	bool		feed_active;	/* the launcher watches files (filefeed.c) */
	bool		reconcile_requested;	/* launcher: look at the slots now */
	pg_atomic_uint32 slots_changed; /* advanced when a slot gets or loses a
									 * database (read without the lock) */
	pg_atomic_uint32 nstale;	/* slots with stale set (changed with the lock
								 * held exclusive, read without it) */
	uint64		feed_drain_requests;	/* asked of the launcher by workers */
	uint64		feed_drains_done;	/* requests the launcher has served */
	int			ndbs;			/* length of dbs[] (diskquota.max_databases) */
	DiskquotaDBSlot dbs[FLEXIBLE_ARRAY_MEMBER];
} DiskquotaSharedState;

extern DiskquotaSharedState *DiskquotaShared;

/*
 * A monitored database whose worker is expected to refresh it (it has the
 * extension as far as diskquota knows, and diskquota is not paused there)
 * but has not been seen refreshing it for this long is "stale": backends
 * refuse loads into its targets that have a quota (every load if its
 * worker never published the quotas), and the launcher stops the
 * statements that write into them (fail closed).  "Refreshing" is: a worker
 * runs, has published the quotas, and its last refresh did not fail on a
 * lock.  The launcher looks every second.  10 s: a blocked refresh is
 * retried several times first (DQ_LOCK_TIMEOUT, DQ_BLOCKED_RETRY_MS), and
 * a worker that exited is normally back within diskquota.naptime.  It does
 * not depend on diskquota.naptime, which may be long for quiet databases.
 */
#define DQ_STALE_MS		10000
/* A refresh that failed on a lock is retried after at most this (ms) */
#define DQ_BLOCKED_RETRY_MS	1000

/*
 * Is some monitored database stale?  One atomic read, on the path of every
 * writing statement (with diskquota_any_rejected()).
 */
static inline bool
diskquota_any_stale(void)
{
	return DiskquotaShared != NULL &&
		pg_atomic_read_u32(&DiskquotaShared->nstale) > 0;
}

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

/* diskquota_database_staleness(): fresh, stale, stale and never refreshed */
#define DQ_FRESH			0
#define DQ_STALE			1
#define DQ_STALE_UNKNOWN	2

/* diskquota.c */
extern void diskquota_hold_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
										  bool readOnlyTree, ProcessUtilityContext context,
										  ParamListInfo params, QueryEnvironment *queryEnv,
										  DestReceiver *dest, QueryCompletion *qc,
										  ProcessUtility_hook_type next);
extern void diskquota_require_shmem(void);
extern DiskquotaDBSlot *diskquota_find_db_slot(Oid dbid);
extern void diskquota_wake_worker(Oid dbid);
extern void diskquota_wake_worker_near_quota(Oid dbid);
extern bool diskquota_database_near_quota(Oid dbid);
extern bool diskquota_wait_feed_drained(void);
extern void diskquota_prepare_wake_from_handler(void);
extern void diskquota_wake_worker_from_handler(void);
extern void diskquota_wake_launcher(void);
extern bool diskquota_feed_watches_my_database(void);
extern bool diskquota_paused(void);
extern void diskquota_set_paused(Oid dbid, bool paused);
extern uint64 diskquota_current_epoch(Oid dbid, bool *running);
extern volatile bool *diskquota_worker_publish_paused(bool paused);
extern void diskquota_worker_published(void);
extern void diskquota_poke_launcher(void);
extern void diskquota_request_rescan(Oid dbid, int degraded_reason);
extern bool diskquota_database_is_monitored(const char *dbname);
extern int	diskquota_database_staleness(Oid dbid, TimestampTz *since, const char **why);
PGDLLEXPORT void diskquota_launcher_main(Datum main_arg);
PGDLLEXPORT void diskquota_worker_main(Datum main_arg);

/* activetable.c: the shared active-relation map */
extern Size diskquota_active_shmem_size(void);
extern void diskquota_active_shmem_init(void);
extern void diskquota_active_register_xact_callbacks(void);
extern void diskquota_active_object_access(ObjectAccessType access, Oid classId,
										   Oid objectId, int subId, void *arg);
extern void diskquota_active_ExecutorEnd(QueryDesc *queryDesc);
extern void diskquota_active_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
											bool readOnlyTree, ProcessUtilityContext context,
											ParamListInfo params, QueryEnvironment *queryEnv,
											DestReceiver *dest, QueryCompletion *qc,
											ProcessUtility_hook_type next);
extern void diskquota_mark_relation_active(Oid relid);
extern void diskquota_mark_relation_active_at_end(Oid relid, bool catalog_change);
extern void diskquota_wake_worker_at_commit(void);
extern void diskquota_set_paused_at_commit(bool paused);
typedef struct DiskquotaFileRef
{
	Oid			spcnode;		/* tablespace (never InvalidOid) */
	Oid			relfilenode;
	uint8		forks;			/* the forks that changed: 1 << ForkNumber */
} DiskquotaFileRef;

extern bool diskquota_mark_files_active(Oid dbid, const DiskquotaFileRef *files, int n);
extern List *diskquota_drain_active_relations(Oid dbid, List **files);
extern void diskquota_forget_database(Oid dbid);

/* filefeed.c: the file-change feed, run by the launcher */
extern bool diskquota_feed_start(void);
extern void diskquota_feed_stop(void);
extern int	diskquota_feed_fd(void);
extern void diskquota_feed_watch(const Oid *dbids, int ndbs);
extern bool diskquota_feed_drain(void);
extern long diskquota_feed_next_wake(void);
extern bool diskquota_feed_watches(Oid dbid);
extern int	diskquota_feed_last_events(void);

/* quotamodel.c: the worker's model and the shared quota map */
extern Size diskquota_quota_shmem_size(void);
extern void diskquota_quota_shmem_init(void);
extern void diskquota_model_init(void);
extern bool diskquota_refresh(bool full_rescan, int *degraded, bool *writing,
							  bool *near_quota, bool *paused);
extern void diskquota_clear_quota_map(Oid dbid);
extern bool diskquota_parse_relation_file_name(const char *name, Oid *relfilenode,
											   BackendId *backend, ForkNumber *fork);

typedef struct DiskquotaQuotaInfo
{
	DiskquotaTarget target;
	int64		quota_bytes;
	int64		used_bytes;
	bool		rejected;
} DiskquotaQuotaInfo;

extern bool diskquota_any_rejected(void);
extern bool diskquota_rejected_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
									  bool tablespace_only, DiskquotaTarget *target);
extern List *diskquota_copy_quota_map(Oid dbid);
extern uint64 diskquota_reject_epoch(void);
extern int64 diskquota_relation_size(Oid relid);
extern void diskquota_stop_growing_maintenance(volatile bool *paused);
extern bool diskquota_target_usage(Oid dbid, const DiskquotaTarget *target,
								   int64 *quota_bytes, int64 *used_bytes);

/* backendslot.c: per-backend slots */

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

/* quotamodel.c: targets with a quota, for a stale database */
extern bool diskquota_stale_write(Oid dbid, const DiskquotaSlotWrite *write,
								  DiskquotaTarget *target);

/* enforcement.c */
extern void diskquota_enforcement_register_xact_callbacks(void);
extern void diskquota_enforcement_ExecutorStart(QueryDesc *queryDesc, int eflags,
												ExecutorStart_hook_type next);
extern void diskquota_enforcement_ExecutorRun(QueryDesc *queryDesc,
											  ScanDirection direction, uint64 count,
											  bool execute_once, ExecutorRun_hook_type next);
extern void diskquota_enforcement_ExecutorFinish(QueryDesc *queryDesc,
												 ExecutorFinish_hook_type next);
extern void diskquota_enforcement_ExecutorEnd(QueryDesc *queryDesc,
											  ExecutorEnd_hook_type next);
extern PlannedStmt *diskquota_enforcement_planner(Query *parse, const char *query_string,
												  int cursorOptions, ParamListInfo boundParams,
												  planner_hook_type next);
extern bool diskquota_enforcement_needs_fmgr(Oid fn_oid);
extern void diskquota_enforcement_fmgr(FmgrHookEventType event, FmgrInfo *flinfo,
									   Datum *arg);
extern void diskquota_enforcement_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
												 bool readOnlyTree, ProcessUtilityContext context,
												 ParamListInfo params, QueryEnvironment *queryEnv,
												 DestReceiver *dest, QueryCompletion *qc,
												 ProcessUtility_hook_type next);
extern void diskquota_enforcement_exempt_process(void);
extern int	diskquota_execute_internal(const char *sql, int nargs, Oid *argtypes,
									   Datum *values);
extern void diskquota_enforcement_relation_created(Oid relid);

/* ownobjects.c */
extern void diskquota_fix_worker_settings(void);
extern void diskquota_check_worker_identity(void);
extern int	diskquota_internal_sql_begin(void);
extern void diskquota_internal_sql_end(int nestlevel);
extern Oid	diskquota_extension_schema(Oid extoid);
extern Oid	diskquota_own_table(Oid extoid, const char *relname);
extern char *diskquota_qualified_name(Oid relid);
extern void diskquota_check_extension_command(Node *parsetree);
extern void diskquota_check_extension_created(Node *parsetree);

/* diskquota.c */
extern bool diskquota_database_beyond_limit(const char *dbname);

#endif							/* DISKQUOTA_H */
