/*-------------------------------------------------------------------------
 *
 * diskquota.c
 *		Module load, configuration, shared memory, the hooks, and the
 *		launcher and worker processes of the diskquota extension.
 *
 * _PG_init installs every hook in one block: one function per core hook,
 * which calls the steps of the modules (the DROP DATABASE hold here,
 * enforcement.c, activetable.c) in the order written in one comment
 * (section "Hooks"), and ends with the previous hook or the standard
 * function, called exactly once on every path.
 * One launcher per cluster (a static background worker that connects to no
 * database) reads diskquota.monitor_databases, keeps one dynamic worker
 * running per listed database, and runs the file-change feed (filefeed.c),
 * which wakes a worker when files of its database change.  Each worker loops: refresh the quota model
 * (quotamodel.c) in a short transaction, publish the quota map, advance its
 * epoch, then sleep on its latch for at most diskquota.naptime seconds.
 * Backends wake the worker early when they commit catalog changes to
 * relations, and wake the launcher when the extension is created or dropped.
 * A backend about to drop, copy (as a template) or move a monitored
 * database stops its worker and holds the launcher off it (hold_until)
 * until the command is over, since such commands need no other session
 * connected to the database.  It does so only once the checks PostgreSQL
 * makes first would pass (existence, privileges, other sessions, prepared
 * transactions), checked again under the lock on the database that the
 * command takes (so that it does not then wait for that lock with the
 * worker held off), so that a refused command never stops the worker, and the
 * hold is lifted however the backend leaves the command (an error, FATAL,
 * pg_terminate_backend); status() shows a held database as "held".
 * ALTER DATABASE ... RENAME of a listed database by someone who is not a
 * superuser is refused: the launcher finds databases by name.
 * Neither the launcher nor a worker waits for a lock longer than
 * DQ_LOCK_TIMEOUT (lock_timeout, fixed), nor a worker for the extension's
 * lock at all: anyone can hold or queue such locks.  A refresh that fails
 * on one is rolled back and retried at the next loop, and status() shows
 * it.  Fail closed: a database whose worker is expected to refresh but has
 * not been seen refreshing it for DQ_STALE_MS (blocked refreshes, a dead or
 * held-off worker, no free background worker slot) is marked stale by the
 * launcher; backends then refuse loads into its targets that have a quota
 * (into every target if nothing was ever published), and the launcher
 * asks the statements writing into them to stop.
 * The worker connects whatever the database's connection settings
 * (BGWORKER_BYPASS_ALLOWCONN), with a fixed configuration that per-database
 * and per-role settings cannot change (ownobjects.c).  CREATE/ALTER
 * EXTENSION diskquota are checked here too (ownobjects.c).
 *
 * Shared state owned by this file: DiskquotaShared, with one DiskquotaDBSlot
 * per monitored database.
 *
 * Locking: DiskquotaShared->lock protects launcher_pid, launcher_latch,
 * extension_events, feed_active, reconcile_requested, feed_drain_requests,
 * feed_drains_done and every field of every dbs[] slot, except epoch_cv,
 * which is a condition variable with its own internal spinlock.  Readers
 * take it shared, the launcher and workers take it exclusive for short
 * updates.  It is never held while waiting, and no other diskquota lock is
 * acquired while it is held, except that the launcher calls into the
 * background worker machinery (BackgroundWorkerLock) while holding it.
 * ndbs is set at shared memory creation and never changes.  Two
 * exceptions to the locking rule: a backend's timeout handler reads dbid and
 * worker_latch of its database's slot without the lock to wake the worker
 * (diskquota_wake_worker_from_handler explains why that is safe); and
 * backends read dbid and feed_watched of their database's slot without the
 * lock at the end of every writing statement
 * (diskquota_feed_watches_my_database explains why that is safe), and
 * paused before refusing one (diskquota_paused).  paused is set by the
 * committing pause()/resume() (which also advance pause_changes) and by the
 * worker from the table it read, unless pause_changes moved meanwhile.
 * hold_until is set and cleared by backends (with the lock held
 * exclusively) around DROP DATABASE and the like.  A worker's SIGTERM
 * handler reads no shared state: it sets a flag and the latch, and the
 * worker's loop reads state and hold_until of its slot under the lock to
 * decide how to stop (worker_sigterm).
 * stale is set and cleared by the launcher (launcher_check_freshness) and
 * cleared by the worker when it publishes (published_at), with the lock
 * held exclusively; nstale counts the slots with stale set, is changed
 * only together with it, and is read without the lock by backends as a
 * fast path (diskquota_any_stale): when it reads zero, no database is
 * stale, and a statement pays that one read; a backend reading a value
 * just before the launcher marks a database stale behaves as if its
 * statement had started a moment earlier.  expected_since and good_at
 * are the launcher's alone; blocked_since the worker's.
 * slots_changed is an atomic counter, advanced with the lock held whenever
 * a slot gets or loses a database, and read without it by backends to
 * know whether to look for their database's slot again.
 *
 * The launcher alone allocates and frees slots.  A worker only sets the
 * fields of its own slot (identified by dbid and worker_pid == its pid).  A
 * slot whose worker still runs is never freed or reused: the launcher marks
 * it STOPPING, terminates the worker, and frees it once worker_pid is 0 (the
 * worker clears it when it exits).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		diskquota.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/twophase.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_tablespace_d.h"
#include "catalog/pg_type_d.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "utils/backend_status.h"
#include "utils/syscache.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "diskquota.h"

/*
 * The launcher drains the file-change feed at most this often (ms): often
 * enough not to delay a worker's wake-up noticeably while a quota is near,
 * rarely enough that a write load does not wake the launcher for every
 * event.  While no quota is near, the workers are not woken by the feed,
 * and the events may gather longer.  The kernel queue holds far more events
 * than arrive in that time.
 */
#define FEED_DRAIN_INTERVAL_MS			10
#define FEED_DRAIN_INTERVAL_RELAXED_MS	100
/*
 * A drain that read more events than this drains again after the short
 * interval: at the rate of a busy write load, the kernel queue
 * (fs.inotify.max_queued_events, 16384 by default) could overflow within the
 * relaxed one.
 */
#define FEED_BUSY_EVENTS				1024

/* Is a quota of some monitored database near (DQ_NEAR_QUOTA_BYTES)? */
static bool
any_quota_near(void)
{
	bool		result = false;
	int			i;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state != DQ_DB_UNUSED &&
			DiskquotaShared->dbs[i].near_quota)
			result = true;
	}
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

PG_MODULE_MAGIC;

void		_PG_init(void);

/* GUC variables */
char	   *diskquota_monitor_databases = NULL;
int			diskquota_naptime = 2;
int			diskquota_max_active_tables = 100000;
int			diskquota_max_quotas = 10000;
int			diskquota_max_databases = 16;
int			diskquota_full_rescan_interval = 600;
int			diskquota_load_check_interval = 100;
bool		diskquota_file_feed = true;

DiskquotaSharedState *DiskquotaShared = NULL;

/* Saved hook values, in case of unload */
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static object_access_hook_type prev_object_access_hook = NULL;
static planner_hook_type prev_planner = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static needs_fmgr_hook_type prev_needs_fmgr_hook = NULL;
static fmgr_hook_type prev_fmgr_hook = NULL;

static void dq_shmem_request(void);
static void dq_shmem_startup(void);
static void dq_object_access(ObjectAccessType access, Oid classId,
							 Oid objectId, int subId, void *arg);
static PlannedStmt *dq_planner(Query *parse, const char *query_string,
							   int cursorOptions, ParamListInfo boundParams);
static void dq_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void dq_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
						   uint64 count, bool execute_once);
static void dq_ExecutorFinish(QueryDesc *queryDesc);
static void dq_ExecutorEnd(QueryDesc *queryDesc);
static void dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);
static bool dq_needs_fmgr_hook(Oid fn_oid);
static void dq_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg);
static Size dq_shared_state_size(void);
static bool check_monitor_databases(char **newval, void **extra, GucSource source);
static void dq_register_launcher(void);

/*
 * Module load callback.  Everything but the GUC definitions needs
 * shared_preload_libraries; without it the SQL functions raise an error
 * (diskquota_require_shmem) instead of silently doing nothing.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("diskquota.monitor_databases",
							   "Comma-separated list of databases whose disk usage diskquota monitors and enforces.",
							   "Names follow SQL identifier rules: unquoted names are folded to lower case. "
							   "An empty list monitors no database.",
							   &diskquota_monitor_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_monitor_databases, NULL, NULL);

	DefineCustomIntVariable("diskquota.naptime",
							"Maximum time between two refreshes of the quota model.",
							"A worker refreshes earlier when relations of its database change.",
							&diskquota_naptime,
							2, 1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.load_check_interval",
							"How often a running load is checked against the quotas.",
							"Each writing statement checks this often whether the worker asked it to stop; "
							"the worker refreshes at most this often when woken by file changes, and at least "
							"this often while statements write if there is no file-change feed. "
							"0 disables stopping running statements.",
							&diskquota_load_check_interval,
							100, 0, 60000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("diskquota.file_feed",
							 "Watches the files of monitored databases for changes (Linux inotify).",
							 "When off, or where inotify cannot be used, changes that no statement hook "
							 "sees are found only by the periodic full rescans.",
							 &diskquota_file_feed,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("diskquota.feed_simulate_overflow",
							 "Test only: treats every batch of file-change events as a queue overflow.",
							 NULL,
							 &diskquota_feed_simulate_overflow,
							 false,
							 PGC_SIGHUP,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.full_rescan_interval",
							"Time between two full rescans of every relation of a monitored database.",
							"A full rescan re-sizes all relations and catches changes no hook saw. "
							"0 disables periodic full rescans.",
							&diskquota_full_rescan_interval,
							600, 0, INT_MAX / 1000,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/*
	 * What sizes shared memory can only be set at server start, and only
	 * exists when the library is preloaded.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("diskquota.max_active_tables",
								"Capacity of the shared map of relations changed since the last refresh.",
								"When it is full, the affected database is fully rescanned at its next refresh.",
								&diskquota_max_active_tables,
								100000, 1024, INT_MAX / 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

		DefineCustomIntVariable("diskquota.max_quotas",
								"Maximum number of quotas, over all monitored databases.",
								"When the map is full, exceeded quotas take precedence and the usage of other quotas is not shown; diskquota.status() reports the database as degraded.",
								&diskquota_max_quotas,
								10000, 16, INT_MAX / 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

		DefineCustomIntVariable("diskquota.max_databases",
								"Maximum number of databases diskquota can monitor.",
								"Each monitored database uses one background worker slot (max_worker_processes).",
								&diskquota_max_databases,
								16, 1, 1024,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
	}

	MarkGUCPrefixReserved("diskquota");

	if (!process_shared_preload_libraries_in_progress)
		return;

	dq_register_launcher();

	/*
	 * The modules' transaction callbacks, in this order (PostgreSQL calls
	 * them in the reverse order): the active map's, enforcement's (with its
	 * subtransaction callback), the backend slots'.
	 */
	diskquota_active_register_xact_callbacks();
	diskquota_enforcement_register_xact_callbacks();
	diskquota_slot_register_xact_callbacks();

	/* Install hooks: one per core hook, see "Hooks" below */
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = dq_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = dq_shmem_startup;
	prev_object_access_hook = object_access_hook;
	object_access_hook = dq_object_access;
	prev_planner = planner_hook;
	planner_hook = dq_planner;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = dq_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = dq_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = dq_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = dq_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = dq_ProcessUtility;
	prev_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = dq_needs_fmgr_hook;
	prev_fmgr_hook = fmgr_hook;
	fmgr_hook = dq_fmgr_hook;
}

/* ----------------------------------------------------------------
 * Hooks
 *
 * One function per core hook.  Where more than one module has a step in a
 * hook, the steps run in this order, each wrapped around the rest of the
 * chain (next), which ends by calling the hook installed before ours if
 * there is one, else the standard function, exactly once on every path:
 *
 *	ProcessUtility: the DROP DATABASE hold (diskquota_hold_ProcessUtility,
 *	  this file), then enforcement (diskquota_enforcement_ProcessUtility),
 *	  then the active map (diskquota_active_ProcessUtility), then the
 *	  previous hook or standard_ProcessUtility.
 *	ExecutorEnd: enforcement (diskquota_enforcement_ExecutorEnd), then the
 *	  active map (diskquota_active_ExecutorEnd, which only marks the result
 *	  relations), then the previous hook or standard_ExecutorEnd.
 *
 * The other hooks have one step each: object_access_hook the active map's,
 * after the previous hook; planner, ExecutorStart, ExecutorRun,
 * ExecutorFinish, needs_fmgr_hook and fmgr_hook enforcement's (the fmgr
 * hooks call the previous hook first on FHET_START and last on FHET_END
 * and FHET_ABORT, and ask ours only if the previous needs_fmgr_hook says
 * no); shmem_request_hook and shmem_startup_hook are this file's.
 * ----------------------------------------------------------------
 */

static void
dq_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	diskquota_active_object_access(access, classId, objectId, subId, arg);
}

static PlannedStmt *
next_planner(Query *parse, const char *query_string, int cursorOptions,
			 ParamListInfo boundParams)
{
	if (prev_planner)
		return prev_planner(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

static PlannedStmt *
dq_planner(Query *parse, const char *query_string, int cursorOptions,
		   ParamListInfo boundParams)
{
	return diskquota_enforcement_planner(parse, query_string, cursorOptions,
										 boundParams, next_planner);
}

static void
next_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
dq_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	diskquota_enforcement_ExecutorStart(queryDesc, eflags, next_ExecutorStart);
}

static void
next_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
				 bool execute_once)
{
	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

static void
dq_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
			   bool execute_once)
{
	diskquota_enforcement_ExecutorRun(queryDesc, direction, count, execute_once,
									  next_ExecutorRun);
}

static void
next_ExecutorFinish(QueryDesc *queryDesc)
{
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
}

static void
dq_ExecutorFinish(QueryDesc *queryDesc)
{
	diskquota_enforcement_ExecutorFinish(queryDesc, next_ExecutorFinish);
}

/* ExecutorEnd after enforcement's step: the active map's, then the next */
static void
active_then_next_ExecutorEnd(QueryDesc *queryDesc)
{
	diskquota_active_ExecutorEnd(queryDesc);
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

static void
dq_ExecutorEnd(QueryDesc *queryDesc)
{
	diskquota_enforcement_ExecutorEnd(queryDesc, active_then_next_ExecutorEnd);
}

/* ProcessUtility after the active map's step */
static void
next_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* ProcessUtility after enforcement's step: the active map's, then the next */
static void
active_then_next_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
								bool readOnlyTree, ProcessUtilityContext context,
								ParamListInfo params, QueryEnvironment *queryEnv,
								DestReceiver *dest, QueryCompletion *qc)
{
	diskquota_active_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc,
									next_ProcessUtility);
}

/* ProcessUtility after the hold's step: enforcement's, then the rest */
static void
enforcement_then_next_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
									 bool readOnlyTree, ProcessUtilityContext context,
									 ParamListInfo params, QueryEnvironment *queryEnv,
									 DestReceiver *dest, QueryCompletion *qc)
{
	diskquota_enforcement_ProcessUtility(pstmt, queryString, readOnlyTree,
										 context, params, queryEnv, dest, qc,
										 active_then_next_ProcessUtility);
}

static void
dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	diskquota_hold_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc,
								  enforcement_then_next_ProcessUtility);
}

static bool
dq_needs_fmgr_hook(Oid fn_oid)
{
	if (prev_needs_fmgr_hook && prev_needs_fmgr_hook(fn_oid))
		return true;
	return diskquota_enforcement_needs_fmgr(fn_oid);
}

static void
dq_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	/* first the other hook on FHET_START: if it fails, there is no FHET_ABORT */
	if (event == FHET_START && prev_fmgr_hook)
		prev_fmgr_hook(event, flinfo, arg);
	diskquota_enforcement_fmgr(event, flinfo, arg);
	if (event != FHET_START && prev_fmgr_hook)
		prev_fmgr_hook(event, flinfo, arg);
}

/*
 * The list must parse as a list of identifiers, so that a typo is rejected
 * at reload instead of being ignored by the launcher.
 */
static bool
check_monitor_databases(char **newval, void **extra,
						GucSource source)
{
	char	   *rawstring = pstrdup(*newval);
	List	   *names;
	bool		ok;

	ok = SplitIdentifierString(rawstring, ',', &names);
	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free(names);
	pfree(rawstring);
	return ok;
}

/*
 * Is dbname listed in diskquota.monitor_databases (as this process sees it)?
 */
bool
diskquota_database_is_monitored(const char *dbname)
{
	char	   *rawstring = pstrdup(diskquota_monitor_databases ? diskquota_monitor_databases : "");
	List	   *names;
	ListCell   *lc;
	bool		found = false;

	if (SplitIdentifierString(rawstring, ',', &names))
	{
		foreach(lc, names)
		{
			if (strcmp((char *) lfirst(lc), dbname) == 0)
				found = true;
		}
	}
	list_free(names);
	pfree(rawstring);
	return found;
}

/*
 * Is dbname listed in diskquota.monitor_databases but left without a slot
 * because the other listed databases take all diskquota.max_databases of
 * them?  (The launcher gives the slots in the order of the list.)
 */
bool
diskquota_database_beyond_limit(const char *dbname)
{
	bool		has_slot = false;
	int			used = 0;
	int			i;

	if (DiskquotaShared == NULL || !diskquota_database_is_monitored(dbname))
		return false;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state == DQ_DB_UNUSED)
			continue;
		used++;
		if (strcmp(DiskquotaShared->dbs[i].dbname, dbname) == 0)
			has_slot = true;
	}
	LWLockRelease(DiskquotaShared->lock);
	return !has_slot && used >= DiskquotaShared->ndbs;
}

static Size
dq_shared_state_size(void)
{
	return add_size(offsetof(DiskquotaSharedState, dbs),
					mul_size(diskquota_max_databases, sizeof(DiskquotaDBSlot)));
}

static void
dq_shmem_request(void)
{
	Size		size;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	size = dq_shared_state_size();
	size = add_size(size, diskquota_active_shmem_size());
	size = add_size(size, diskquota_quota_shmem_size());
	size = add_size(size, diskquota_slot_shmem_size());
	RequestAddinShmemSpace(size);
	RequestNamedLWLockTranche("diskquota", DQ_NUM_LWLOCKS);
}

static void
dq_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	DiskquotaShared = ShmemInitStruct("diskquota shared state",
									  dq_shared_state_size(), &found);
	if (!found)
	{
		int			i;

		memset(DiskquotaShared, 0, dq_shared_state_size());
		DiskquotaShared->lock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_SHARED].lock;
		DiskquotaShared->ndbs = diskquota_max_databases;
		pg_atomic_init_u32(&DiskquotaShared->slots_changed, 0);
		for (i = 0; i < DiskquotaShared->ndbs; i++)
			ConditionVariableInit(&DiskquotaShared->dbs[i].epoch_cv);
	}
	diskquota_active_shmem_init();
	diskquota_quota_shmem_init();
	diskquota_slot_shmem_init();

	LWLockRelease(AddinShmemInitLock);
}

/*
 * Raise an error when the library was not preloaded: nothing would be
 * enforced, and the DBA must know.
 */
void
diskquota_require_shmem(void)
{
	if (DiskquotaShared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("diskquota is not loaded"),
				 errdetail("Quotas are not enforced unless the diskquota library is loaded at server start."),
				 errhint("Add \"diskquota\" to shared_preload_libraries and restart the server.")));
}

/*
 * Find the slot of a monitored database.  The caller must hold
 * DiskquotaShared->lock; the result is valid while it is held.
 */
DiskquotaDBSlot *
diskquota_find_db_slot(Oid dbid)
{
	int			i;

	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

		if (slot->state != DQ_DB_UNUSED && slot->dbid == dbid)
			return slot;
	}
	return NULL;
}

/*
 * Set the latch of the worker of a database, if it runs; with only_near,
 * only while a quota of the database is near (DQ_NEAR_QUOTA_BYTES), as for
 * file changes: otherwise the worker's regular refresh is soon enough, and a
 * write load does not make it refresh continuously.
 */
static void
wake_worker(Oid dbid, bool only_near)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot && slot->worker_latch && (slot->near_quota || !only_near))
		SetLatch(slot->worker_latch);
	LWLockRelease(DiskquotaShared->lock);
}

void
diskquota_wake_worker(Oid dbid)
{
	wake_worker(dbid, false);
}

void
diskquota_wake_worker_near_quota(Oid dbid)
{
	wake_worker(dbid, true);
}

/* Is a quota of a database near (the feed is to wake its worker)? */
bool
diskquota_database_near_quota(Oid dbid)
{
	DiskquotaDBSlot *slot;
	bool		result;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	result = slot != NULL && slot->near_quota;
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * Wait until the launcher has drained the file-change feed of every event
 * queued before this call (a worker, before it takes the active relations),
 * so that a refresh sees every file change that happened before it started:
 * after a statement, diskquota.wait_for_worker_new_epoch() reflects what it
 * wrote.  inotify queues an event within the write itself.  Returns false
 * if the launcher did not answer within a second (it is stuck or being
 * restarted): the caller must then not rely on the feed for this refresh.
 * Without the feed, returns true at once.
 */
bool
diskquota_wait_feed_drained(void)
{
	uint64		request;
	TimestampTz deadline;
	bool		done = false;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (!DiskquotaShared->feed_active)
	{
		LWLockRelease(DiskquotaShared->lock);
		return true;
	}
	if (DiskquotaShared->launcher_latch == NULL)
	{
		LWLockRelease(DiskquotaShared->lock);
		return false;
	}
	request = ++DiskquotaShared->feed_drain_requests;
	SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);

	/*
	 * Poll rather than sleep on the latch: a wake-up of the worker that
	 * arrives meanwhile must stay set, to ask for the next refresh.  The
	 * launcher answers within a fraction of a millisecond.
	 */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	for (;;)
	{
		LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
		done = DiskquotaShared->feed_drains_done >= request ||
			!DiskquotaShared->feed_active;
		LWLockRelease(DiskquotaShared->lock);
		if (done || GetCurrentTimestamp() >= deadline)
			break;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(100L);
	}
	return done;
}

/* Launcher: which drain requests of workers are pending (0: none)? */
static uint64
feed_drain_requested(void)
{
	uint64		result;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	result = DiskquotaShared->feed_drain_requests > DiskquotaShared->feed_drains_done ?
		DiskquotaShared->feed_drain_requests : 0;
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/* Launcher: requests up to this one are served. */
static void
feed_drain_served(uint64 request)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (DiskquotaShared->feed_drains_done < request)
		DiskquotaShared->feed_drains_done = request;
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * The index of this database's slot, looked up with the lock and cached:
 * the callers below read the slot without the lock, and check its dbid.
 * When the database is not monitored, it is looked up again only once the
 * launcher has given a slot a database since (slots_changed): a database
 * that is not monitored pays one atomic read per call.
 */
static int	my_slot_index = -1;
static uint32 my_slot_seen_changes = 0;
static bool my_slot_looked_up = false;

static int
lookup_my_slot_index(void)
{
	DiskquotaDBSlot *slot;
	uint32		changes;

	if (DiskquotaShared == NULL || !OidIsValid(MyDatabaseId))
		return -1;
	if (my_slot_index >= 0 &&
		DiskquotaShared->dbs[my_slot_index].dbid == MyDatabaseId)
		return my_slot_index;
	changes = pg_atomic_read_u32(&DiskquotaShared->slots_changed);
	if (my_slot_index < 0 && my_slot_looked_up && changes == my_slot_seen_changes)
		return -1;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(MyDatabaseId);
	my_slot_index = slot ? slot - DiskquotaShared->dbs : -1;
	LWLockRelease(DiskquotaShared->lock);
	my_slot_seen_changes = changes;
	my_slot_looked_up = true;
	return my_slot_index;
}

/*
 * Waking the worker from a signal handler, which cannot take a lock: the
 * index of this database's slot is looked up beforehand (with the lock),
 * and the handler reads the slot's dbid and worker_latch without it.  An
 * aligned pointer is read in one piece; if the slot changed meanwhile, the
 * worst outcome is setting the latch of another process, a spurious wake-up.
 */
void
diskquota_prepare_wake_from_handler(void)
{
	(void) lookup_my_slot_index();
}

/*
 * The slot of this database, for a read of its flags without the lock (the
 * callers say why that is safe), or NULL if it has none.  The barrier
 * orders the caller's reads after what it did before.
 */
static DiskquotaDBSlot *
my_database_slot(void)
{
	if (my_slot_index < 0 ||
		DiskquotaShared->dbs[my_slot_index].dbid != MyDatabaseId)
	{
		if (lookup_my_slot_index() < 0)
			return NULL;
	}
	pg_memory_barrier();
	return &DiskquotaShared->dbs[my_slot_index];
}

/*
 * Does the launcher's file-change feed see every change of this database's
 * relation files?  Then the writes of a statement need not be pushed to the
 * active map: the feed reports the files as they grow.
 *
 * Read without the lock, once per writing statement, after its writes.  The
 * launcher clears feed_watched (with the lock) before it stops watching and
 * only then requests a full rescan of the database.  A backend that still
 * reads true did its writes before the flag was cleared, so either the feed
 * saw them or the rescan, which starts later, does.  The barrier orders our
 * read after our writes.  A stale false only costs a needless push.
 */
bool
diskquota_feed_watches_my_database(void)
{
	DiskquotaDBSlot *slot = my_database_slot();

	return slot != NULL && slot->feed_watched && slot->dbid == MyDatabaseId;
}

/*
 * Is diskquota paused in this database (diskquota.pause())?  Read without
 * the lock when a statement is about to be refused: a stale value only
 * refuses or lets pass a statement that overlaps pause() or resume().
 */
bool
diskquota_paused(void)
{
	DiskquotaDBSlot *slot = my_database_slot();

	return slot != NULL && slot->paused && slot->dbid == MyDatabaseId;
}

/*
 * Is a monitored database stale (DQ_STALE_MS: its worker is expected to
 * refresh and has not published the quotas for that long)?
 * DQ_STALE_UNKNOWN if its worker never published them since diskquota
 * began to monitor it (after a restart: nothing is known of its quotas).
 * *since gets the time of the last publication (0: none), *why what keeps
 * the worker from refreshing, as far as the slot tells.  Takes the lock
 * shared: called only while some database is stale (diskquota_any_stale())
 * and a statement writes, or to report it.
 */
int
diskquota_database_staleness(Oid dbid, TimestampTz *since, const char **why)
{
	DiskquotaDBSlot *slot;
	int			result = DQ_FRESH;

	if (since)
		*since = 0;
	if (why)
		*why = NULL;
	if (DiskquotaShared == NULL)
		return DQ_FRESH;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot && slot->stale && !slot->paused)
	{
		result = slot->published_at == 0 ? DQ_STALE_UNKNOWN : DQ_STALE;
		if (since)
			*since = slot->published_at;
		if (why)
			*why = slot->blocked_since != 0 ? "its refresh is blocked by a lock" :
				slot->hold_until > GetCurrentTimestamp() ? "a command on the database holds its worker off" :
				slot->state == DQ_DB_START_FAILED ? "no background worker slot is free for its worker" :
				slot->worker_pid == 0 ? "its worker is not running" :
				"its worker has not completed a refresh";
	}
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * pause() or resume() committed in a database: takes effect at once, and
 * the worker learns it from diskquota.pause at its next refresh (after a
 * restart too).  A pause also withdraws the stop requests that statements
 * have not acted upon yet.  Does not raise errors: called at commit.
 */
void
diskquota_set_paused(Oid dbid, bool paused)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->paused = paused;
		slot->pause_changes++;
		if (slot->worker_latch)
			SetLatch(slot->worker_latch);
	}
	LWLockRelease(DiskquotaShared->lock);
	if (paused)
		diskquota_slot_withdraw_cancels(dbid);
}

/*
 * Completed refreshes of a database's worker (0 if it has no slot); *running
 * tells whether a worker runs.
 */
uint64
diskquota_current_epoch(Oid dbid, bool *running)
{
	DiskquotaDBSlot *slot;
	uint64		epoch = 0;

	*running = false;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		epoch = slot->epoch;
		*running = slot->worker_pid != 0;
	}
	LWLockRelease(DiskquotaShared->lock);
	return epoch;
}

void
diskquota_wake_worker_from_handler(void)
{
	DiskquotaDBSlot *slot;
	Latch	   *latch;

	if (my_slot_index < 0)
		return;
	slot = &DiskquotaShared->dbs[my_slot_index];
	if (slot->dbid != MyDatabaseId)
		return;
	latch = slot->worker_latch;
	if (latch != NULL)
		SetLatch(latch);
}

/*
 * Ask the worker of a database to rescan all relations, and wake it.
 * degraded_reason (DQ_DEGRADED_* bits, or 0) is reported by the next refresh.
 * Does not raise errors: it is called from transaction-commit callbacks.
 */
void
diskquota_request_rescan(Oid dbid, int degraded_reason)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->rescan_requested = true;
		slot->pending_degraded |= degraded_reason;
		if (slot->worker_latch)
			SetLatch(slot->worker_latch);
	}
	LWLockRelease(DiskquotaShared->lock);
}

/* Wake the launcher for a round, without any other request. */
void
diskquota_poke_launcher(void)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);
}

/* Tell the launcher that an extension was created or dropped somewhere. */
void
diskquota_wake_launcher(void)
{
	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->extension_events++;
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);
}

/* ----------------------------------------------------------------
 * Launcher
 * ----------------------------------------------------------------
 */

static void
dq_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "diskquota");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "diskquota_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "diskquota launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "diskquota launcher");
	RegisterBackgroundWorker(&worker);
}

/* What the launcher keeps about each slot, in its own memory. */
typedef struct LauncherSlotInfo
{
	BackgroundWorkerHandle *handle; /* NULL when we started no worker */
	TimestampTz next_start;		/* do not start a worker before this */
} LauncherSlotInfo;

static LauncherSlotInfo *launcher_info = NULL;

static void launcher_publish_feed_coverage(bool feed_on);

static void
launcher_exit(int code, Datum arg)
{
	/* an error may have left our locks held: this runs before their release */
	LWLockReleaseAll();
	/* nobody watches the files any more */
	launcher_publish_feed_coverage(false);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (DiskquotaShared->launcher_pid == MyProcPid)
	{
		DiskquotaShared->launcher_pid = 0;
		DiskquotaShared->launcher_latch = NULL;
	}
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Publish which databases the file-change feed watches (feed_watched).  A
 * database whose flag changes is fully rescanned, after the change: when
 * the feed stops watching it, because backends skipped pushing writes while
 * the flag was set (see diskquota_feed_watches_my_database); when it starts,
 * because a statement that read the flag set at its end may have grown
 * files before the watch was in place.  Never raises an error.
 */
static void
launcher_publish_feed_coverage(bool feed_on)
{
	Oid		   *changed;
	int			nchanged = 0;
	int			i;

	if (DiskquotaShared == NULL)
		return;
	changed = palloc(sizeof(Oid) * DiskquotaShared->ndbs);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
		bool		watched = feed_on && slot->state != DQ_DB_UNUSED &&
		OidIsValid(slot->dbid) && diskquota_feed_watches(slot->dbid);

		if (slot->feed_watched != watched && OidIsValid(slot->dbid))
			changed[nchanged++] = slot->dbid;
		slot->feed_watched = watched;
	}
	DiskquotaShared->feed_active = feed_on;
	LWLockRelease(DiskquotaShared->lock);
	for (i = 0; i < nchanged; i++)
		diskquota_request_rescan(changed[i], 0);
}

/*
 * Ask the worker of a slot to stop; the caller holds the lock exclusively.
 * The handle is kept: launcher_worker_alive() tells when it has exited.
 */
static void
launcher_stop_worker(int i)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

	if (launcher_info[i].handle)
		TerminateBackgroundWorker(launcher_info[i].handle);
	else if (slot->worker_pid != 0)
		kill(slot->worker_pid, SIGTERM);
}

/*
 * Is a worker process still there for a slot (started by us, or left by an
 * earlier launcher)?  The caller holds the lock exclusively.
 */
static bool
launcher_worker_alive(int i)
{
	if (launcher_info[i].handle)
	{
		pid_t		pid;

		switch (GetBackgroundWorkerPid(launcher_info[i].handle, &pid))
		{
			case BGWH_STARTED:
			case BGWH_NOT_YET_STARTED:
				return true;
			case BGWH_STOPPED:
			case BGWH_POSTMASTER_DIED:
				pfree(launcher_info[i].handle);
				launcher_info[i].handle = NULL;
				break;
		}
	}
	return DiskquotaShared->dbs[i].worker_pid != 0;
}

/* Start the worker of a slot; the caller holds the lock exclusively. */
static void
launcher_start_worker(int i)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcontext;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "diskquota");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "diskquota_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "diskquota worker for database \"%s\"", slot->dbname);
	snprintf(worker.bgw_type, BGW_MAXLEN, "diskquota worker");
	worker.bgw_main_arg = ObjectIdGetDatum(slot->dbid);
	worker.bgw_notify_pid = MyProcPid;

	launcher_info[i].next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  diskquota_naptime * 1000);
	/* the handle outlives the launcher's loop context */
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcontext);
	if (!registered)
	{
		if (slot->state != DQ_DB_START_FAILED)
			ereport(LOG,
					(errmsg("diskquota could not start a worker for database \"%s\"", slot->dbname),
					 errdetail("No background worker slot is free; quotas in this database are not refreshed until one is."),
					 errhint("Increase max_worker_processes. The launcher retries every diskquota.naptime seconds.")));
		slot->state = DQ_DB_START_FAILED;
		return;
	}
	launcher_info[i].handle = handle;
	slot->state = DQ_DB_STARTING;
	slot->extension_events_seen = DiskquotaShared->extension_events;
}

/*
 * Look database names up in pg_database.  Connected to no database, the
 * launcher cannot use the catalog indexes (get_database_oid), so it scans
 * the shared catalog like the autovacuum launcher does.
 */
static Oid *
launcher_lookup_databases(List *names)
{
	Oid		   *dboids = palloc0(sizeof(Oid) * (list_length(names) + 1));
	MemoryContext caller = CurrentMemoryContext;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tuple);
		ListCell   *lc;
		int			n = 0;

		foreach(lc, names)
		{
			if (strcmp(NameStr(form->datname), (char *) lfirst(lc)) == 0)
				dboids[n] = form->oid;
			n++;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	return dboids;
}

/*
 * launcher_lookup_databases(), or NULL if pg_database is locked: anyone
 * can queue an exclusive lock on it (ALTER INDEX pg_catalog.pg_database
 * DEPENDS ON EXTENSION opens the relation before checking anything), and
 * the lookup then fails on DQ_LOCK_TIMEOUT.  The launcher skips that
 * round, and still marks stale databases (launcher_check_freshness).
 */
static Oid *
launcher_try_lookup_databases(List *names)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid		   *dboids = NULL;

	PG_TRY();
	{
		dboids = launcher_lookup_databases(names);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(caller);
		ereport(LOG,
				(errmsg("diskquota launcher cannot read pg_database: %s", edata->message)));
		FreeErrorData(edata);
		dboids = NULL;
	}
	PG_END_TRY();
	return dboids;
}

/*
 * Listed databases the launcher said it cannot monitor (more are listed
 * than diskquota.max_databases): names in TopMemoryContext.
 */
static List *launcher_beyond_limit = NIL;

static bool
name_in_list(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * Bring the slots in line with diskquota.monitor_databases: stop workers of
 * databases no longer listed, start (or restart) workers of listed ones.
 */
static List *
launcher_reconcile(bool *ok)
{
	char	   *rawstring;
	List	   *names;
	Oid		   *dboids;
	ListCell   *lc;
	int			n;
	int			i;
	Oid		   *forget;
	int			nforget = 0;
	List	   *monitored = NIL;
	List	   *beyond_limit = NIL;
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext oldcontext;

	rawstring = pstrdup(diskquota_monitor_databases ? diskquota_monitor_databases : "");
	if (!SplitIdentifierString(rawstring, ',', &names))
		names = NIL;			/* cannot happen: the check hook rejects it */

	dboids = launcher_try_lookup_databases(names);
	if (dboids == NULL)
	{
		*ok = false;
		return NIL;
	}
	*ok = true;
	/* allocated before taking the lock: no allocation while holding it */
	forget = palloc(sizeof(Oid) * DiskquotaShared->ndbs);

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);

	/*
	 * Free the slots of databases that are no longer listed, or were dropped.
	 * A slot whose worker still runs is only marked STOPPING, and freed once
	 * the worker has exited: until then the worker writes into it.
	 */
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
		bool		keep = false;

		if (slot->state == DQ_DB_UNUSED)
			continue;
		n = 0;
		foreach(lc, names)
		{
			if (strcmp(slot->dbname, (char *) lfirst(lc)) == 0 &&
				slot->dbid == dboids[n])
				keep = true;
			n++;
		}
		if (keep)
			continue;
		if (launcher_worker_alive(i))
		{
			if (slot->state != DQ_DB_STOPPING)
			{
				launcher_stop_worker(i);
				slot->state = DQ_DB_STOPPING;
			}
			continue;
		}
		if (OidIsValid(slot->dbid))
			forget[nforget++] = slot->dbid;
		ConditionVariableBroadcast(&slot->epoch_cv);
		slot->state = DQ_DB_UNUSED;
		slot->dbid = InvalidOid;
		slot->dbname[0] = '\0';
		slot->worker_latch = NULL;
		slot->epoch = 0;
		slot->refreshing = false;
		slot->degraded = 0;
		slot->pending_degraded = 0;
		slot->rescan_requested = false;
		slot->feed_watched = false;
		slot->near_quota = false;
		slot->paused = false;
		slot->hold_until = 0;
		slot->last_refresh = 0;
		slot->published_at = 0;
		slot->blocked_since = 0;
		slot->expected_since = 0;
		slot->good_at = 0;
		if (slot->stale)
			pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
		slot->stale = false;
		pg_atomic_fetch_add_u32(&DiskquotaShared->slots_changed, 1);
		launcher_info[i].next_start = 0;
	}

	/* Start what is missing. */
	n = 0;
	foreach(lc, names)
	{
		char	   *name = (char *) lfirst(lc);
		Oid			dboid = dboids[n++];
		DiskquotaDBSlot *slot = NULL;
		int			free_i = -1;

		for (i = 0; i < DiskquotaShared->ndbs; i++)
		{
			if (DiskquotaShared->dbs[i].state == DQ_DB_UNUSED)
			{
				if (free_i < 0)
					free_i = i;
			}
			else if (strcmp(DiskquotaShared->dbs[i].dbname, name) == 0 &&
					 DiskquotaShared->dbs[i].dbid == dboid)
			{
				slot = &DiskquotaShared->dbs[i];
				break;
			}
		}
		if (slot == NULL)
		{
			if (free_i < 0 && list_length(names) <= DiskquotaShared->ndbs)
			{
				/*
				 * Every slot is in use only because workers of databases
				 * removed from the list are still exiting; their exit wakes
				 * us to try again.
				 */
				continue;
			}
			if (free_i < 0)
			{
				/* said once, until the database gets a slot or is unlisted */
				if (!name_in_list(launcher_beyond_limit, name))
					ereport(LOG,
							(errmsg("diskquota cannot monitor database \"%s\"", name),
							 errdetail("diskquota.monitor_databases lists more than %d databases.",
									   DiskquotaShared->ndbs),
							 errhint("Increase diskquota.max_databases and restart the server.")));
				beyond_limit = lappend(beyond_limit, name);
				continue;
			}
			i = free_i;
			slot = &DiskquotaShared->dbs[i];
			strlcpy(slot->dbname, name, NAMEDATALEN);
			slot->dbid = dboid;
			slot->state = OidIsValid(dboid) ? DQ_DB_STOPPED : DQ_DB_NO_DATABASE;
			pg_atomic_fetch_add_u32(&DiskquotaShared->slots_changed, 1);
			if (!OidIsValid(dboid))
				ereport(LOG,
						(errmsg("database \"%s\" listed in diskquota.monitor_databases does not exist", name),
						 errhint("Create the database, or remove it from diskquota.monitor_databases and reload the configuration.")));
		}
		else
			i = slot - DiskquotaShared->dbs;

		if (!OidIsValid(dboid))
			continue;

		/* A worker being stopped is restarted once it has exited. */
		if (slot->state == DQ_DB_STOPPING)
		{
			if (launcher_worker_alive(i))
				continue;
			slot->state = DQ_DB_STOPPED;
		}

		/*
		 * Is the worker still there?  One that exited (the postmaster logs
		 * why) is restarted diskquota.naptime after its start.
		 */
		if (launcher_worker_alive(i))
			continue;
		if (slot->state == DQ_DB_STARTING || slot->state == DQ_DB_RUNNING)
			slot->state = DQ_DB_STOPPED;

		/*
		 * A worker that found no extension is started again only once an
		 * extension was created (or dropped) somewhere since it started.
		 */
		if (slot->state == DQ_DB_NO_EXTENSION &&
			slot->extension_events_seen == DiskquotaShared->extension_events)
			continue;
		if (now < launcher_info[i].next_start && slot->state != DQ_DB_NO_EXTENSION)
			continue;
		/* a DROP DATABASE (or the like) of it is under way */
		if (now < slot->hold_until)
			continue;
		launcher_start_worker(i);
	}
	LWLockRelease(DiskquotaShared->lock);

	/* remember which databases were said to be beyond the limit */
	list_free_deep(launcher_beyond_limit);
	launcher_beyond_limit = NIL;
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	foreach(lc, beyond_limit)
		launcher_beyond_limit = lappend(launcher_beyond_limit,
										pstrdup((char *) lfirst(lc)));
	MemoryContextSwitchTo(oldcontext);

	for (i = 0; i < nforget; i++)
	{
		diskquota_clear_quota_map(forget[i]);
		diskquota_forget_database(forget[i]);
	}
	n = 0;
	foreach(lc, names)
	{
		if (OidIsValid(dboids[n]))
			monitored = list_append_unique_oid(monitored, dboids[n]);
		n++;
	}
	return monitored;
}

/* The database launcher_check_freshness() stops statements in */
static Oid	launcher_cancel_dbid = InvalidOid;

static bool
launcher_stale_write(const DiskquotaSlotWrite *write, DiskquotaTarget *target)
{
	return diskquota_stale_write(launcher_cancel_dbid, write, target);
}

/*
 * A statement whose targets did not fit in its slot: any may have a quota,
 * if the database has quotas (it has published them)
 */
static bool
launcher_stale_overflow(uint64 epoch, DiskquotaTarget *target)
{
	memset(target, 0, sizeof(*target));
	target->type = DQ_DATABASE_QUOTA;
	target->oid = launcher_cancel_dbid;
	return diskquota_database_staleness(launcher_cancel_dbid, NULL, NULL) == DQ_STALE;
}

/*
 * Fail closed: mark stale every monitored database whose worker is
 * expected to refresh (the extension is there as far as we know, and
 * diskquota is not paused) but has not been seen refreshing it for
 * DQ_STALE_MS (see there), whatever the reason: its refreshes fail on a
 * lock, its worker died, crash-loops, was held off (DROP DATABASE and the
 * like) or found no background worker slot.  Backends then refuse loads into its targets
 * that have a quota (quotamodel.c), and here the statements that write
 * into them are asked to stop, as the worker would.  The worker clears the
 * mark when it publishes again (diskquota_worker_published).  Called at
 * least every second by the launcher, which never waits for a lock for
 * long.
 */
static void
launcher_check_freshness(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			ndbs = DiskquotaShared->ndbs;
	int		   *stale_i = palloc(sizeof(int) * ndbs);
	bool	   *newly = palloc0(sizeof(bool) * ndbs);
	char	   *names = palloc(NAMEDATALEN * ndbs);
	int			n = 0;
	int			i;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	for (i = 0; i < ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
		bool		expected;
		bool		stale = false;

		expected = OidIsValid(slot->dbid) && !slot->paused &&
			(slot->state == DQ_DB_STARTING || slot->state == DQ_DB_RUNNING ||
			 slot->state == DQ_DB_STOPPED || slot->state == DQ_DB_START_FAILED);
		if (!expected)
			slot->expected_since = 0;
		else
		{
			if (slot->expected_since == 0)
				slot->expected_since = now;
			/* refreshing: a worker runs, has published, is not blocked */
			if (slot->state == DQ_DB_RUNNING && slot->worker_pid != 0 &&
				slot->published_at != 0 && slot->blocked_since == 0 &&
				slot->hold_until <= now)
				slot->good_at = now;
			stale = TimestampDifferenceExceeds(Max(slot->good_at, slot->expected_since),
											   now, DQ_STALE_MS);
		}
		if (stale)
		{
			newly[n] = !slot->stale;
			strlcpy(names + n * NAMEDATALEN, slot->dbname, NAMEDATALEN);
			stale_i[n++] = i;
		}
		if (stale != slot->stale)
		{
			slot->stale = stale;
			if (stale)
				pg_atomic_fetch_add_u32(&DiskquotaShared->nstale, 1);
			else
				pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
		}
	}
	LWLockRelease(DiskquotaShared->lock);

	for (i = 0; i < n; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[stale_i[i]];

		if (newly[i])
			ereport(WARNING,
					(errmsg("diskquota cannot enforce quotas in database \"%s\"",
							names + i * NAMEDATALEN),
					 errdetail("Its usage has not been refreshed for %d seconds: loads into its targets that have a quota are refused until it is.",
							   DQ_STALE_MS / 1000),
					 errhint("See diskquota.status() for why.")));
		/* the slot is freed only by us: dbid stays */
		launcher_cancel_dbid = slot->dbid;
		diskquota_slot_cancel_writers(slot->dbid, launcher_stale_write,
									  launcher_stale_overflow, &slot->paused);
	}
	launcher_cancel_dbid = InvalidOid;
}

void
diskquota_launcher_main(Datum main_arg)
{
	int			i;
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* No database: the launcher reads shared catalogs only. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	/* never wait for a lock for long: see DQ_LOCK_TIMEOUT */
	SetConfigOption("lock_timeout", DQ_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE);

	launcher_info = MemoryContextAllocZero(TopMemoryContext,
										   sizeof(LauncherSlotInfo) * DiskquotaShared->ndbs);

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->launcher_pid = MyProcPid;
	DiskquotaShared->launcher_latch = MyLatch;
	/* Workers of an earlier launcher cannot be adopted: stop them. */
	for (i = 0; i < DiskquotaShared->ndbs; i++)
		launcher_stop_worker(i);
	LWLockRelease(DiskquotaShared->lock);
	before_shmem_exit(launcher_exit, (Datum) 0);

	ereport(LOG, (errmsg("diskquota launcher started")));

	/*
	 * What one pass of the loop allocates lives in loop_context, reset at the
	 * start of every pass (as pg_cron's CronLoopContext).  What lives longer
	 * is allocated in TopMemoryContext explicitly: the wait event sets, the
	 * list of watched databases, launcher_beyond_limit and the feed's state
	 * (filefeed.c).
	 */
	loop_context = AllocSetContextCreate(TopMemoryContext,
										 "diskquota launcher loop",
										 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		bool		feed_on;
		WaitEventSet *set;
		WaitEventSet *quiet;
		WaitEventSet *waitset;
		TimestampTz last_drain;
		int			drain_interval;
		uint64		request;
		TimestampTz last_reconcile;
		TimestampTz last_freshness = 0;
		List	   *watched = NIL;
		bool		resync = true;

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);

		/* (Re)start with the feed as diskquota.file_feed says. */
		feed_on = diskquota_file_feed && diskquota_feed_start();
		launcher_publish_feed_coverage(feed_on);
		set = CreateWaitEventSet(TopMemoryContext, 3);
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		if (feed_on)
			AddWaitEventToSet(set, WL_SOCKET_READABLE, diskquota_feed_fd(), NULL, NULL);
		/* the same without the feed, to let its events gather */
		quiet = CreateWaitEventSet(TopMemoryContext, 2);
		AddWaitEventToSet(quiet, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(quiet, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		last_drain = 0;
		last_reconcile = 0;

		while (feed_on == (diskquota_file_feed && diskquota_feed_fd() >= 0))
		{
			WaitEvent	event;
			long		timeout;
			TimestampTz now;

			MemoryContextReset(loop_context);
			MemoryContextSwitchTo(loop_context);

			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
				last_reconcile = 0;
				if (feed_on != diskquota_file_feed)
					break;
			}

			now = GetCurrentTimestamp();
			if (TimestampDifferenceExceeds(last_reconcile, now, diskquota_naptime * 1000))
			{
				bool		ok;
				List	   *monitored = launcher_reconcile(&ok);

				launcher_check_freshness();
				last_freshness = now;
				if (!ok)
					monitored = watched;

				/* watch the directories of exactly the monitored databases */
				if (feed_on && (resync || !equal(monitored, watched)))
				{
					int			n = list_length(monitored);
					Oid		   *dbids = palloc(sizeof(Oid) * Max(n, 1));
					ListCell   *lc;
					int			i = 0;

					foreach(lc, monitored)
						dbids[i++] = lfirst_oid(lc);
					diskquota_feed_watch(dbids, n);
					resync = false;
				}
				/* also for slots that got their database OID just now */
				launcher_publish_feed_coverage(feed_on);
				if (monitored != watched)
				{
					MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);

					list_free(watched);
					watched = list_copy(monitored);
					MemoryContextSwitchTo(oldcontext);
				}
				last_reconcile = now;
			}

			if (TimestampDifferenceExceeds(last_freshness, now, 1000))
			{
				launcher_check_freshness();
				last_freshness = now;
			}

			/* at least every second: launcher_check_freshness */
			timeout = Min(diskquota_naptime * 1000L, 1000L);
			if (feed_on)
			{
				long		wake = diskquota_feed_next_wake();

				if (wake >= 0 && wake < timeout)
					timeout = wake;
			}

			/*
			 * Under a write load, events arrive continuously: drain them at
			 * most every drain interval, letting them gather in the kernel
			 * queue meanwhile, rather than wake up for each one.
			 */
			drain_interval = any_quota_near() ||
				diskquota_feed_last_events() > FEED_BUSY_EVENTS ?
				FEED_DRAIN_INTERVAL_MS : FEED_DRAIN_INTERVAL_RELAXED_MS;
			if (feed_on &&
				!TimestampDifferenceExceeds(last_drain, now, drain_interval))
			{
				timeout = Min(timeout, drain_interval);
				waitset = quiet;
			}
			else
				waitset = set;
			if (WaitEventSetWait(waitset, timeout, &event, 1, PG_WAIT_EXTENSION) == 1 &&
				(event.events & WL_LATCH_SET))
			{
				ResetLatch(MyLatch);

				/*
				 * A worker's drain request alone does not need a reconcile;
				 * anything else does (a poke, the postmaster telling that a
				 * worker started or stopped).
				 */
				LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
				if (DiskquotaShared->reconcile_requested ||
					DiskquotaShared->feed_drain_requests == DiskquotaShared->feed_drains_done)
					last_reconcile = 0;
				DiskquotaShared->reconcile_requested = false;
				LWLockRelease(DiskquotaShared->lock);
			}
			now = GetCurrentTimestamp();
			/* a worker about to refresh wants everything drained now */
			request = feed_on ? feed_drain_requested() : 0;
			/* so does a wake-up that is due: it is done by the drain */
			if (feed_on &&
				(request != 0 || TimestampDifferenceExceeds(last_drain, now, drain_interval) ||
				 diskquota_feed_next_wake() == 0))
			{
				last_drain = now;
				if (diskquota_feed_drain())
				{
					/* a directory to watch appeared */
					resync = true;
					last_reconcile = 0;
				}
				if (request != 0)
					feed_drain_served(request);
			}
		}

		/* diskquota.file_feed changed */
		FreeWaitEventSet(set);
		FreeWaitEventSet(quiet);
		launcher_publish_feed_coverage(false);
		diskquota_feed_stop();
		list_free(watched);
	}
}

/* ----------------------------------------------------------------
 * Worker
 * ----------------------------------------------------------------
 */

static DiskquotaDBSlot *MyDBSlot = NULL;

/* A SIGTERM came: the loop decides how to stop (worker_sigterm) */
static volatile sig_atomic_t worker_sigterm_pending = false;

/* Between the check for a stop and the sleep after the refresh */
static volatile sig_atomic_t worker_busy = false;

/*
 * What die() does to stop a process at its next CHECK_FOR_INTERRUPTS()
 * (the FATAL "terminating ... due to administrator command"), for a
 * process that is not in single-user mode.  Safe in a signal handler.
 */
static void
worker_die_pending(void)
{
	/* Don't joggle the elbow of proc_exit */
	if (!proc_exit_inprogress)
	{
		InterruptPending = true;
		ProcDiePending = true;
	}
	pgStatSessionEndCause = DISCONNECT_KILLED;
	SetLatch(MyLatch);
}

/*
 * SIGTERM of a worker: only set a flag and the latch, so that the loop
 * decides (at its top, under the lock) how to stop.  The launcher (database
 * no longer listed) and DROP DATABASE and the like mark the slot before
 * they send it; a worker that gets it while it sleeps exits with a LOG line
 * saying why, not with the FATAL "terminating ... due to administrator
 * command" of die().  Anything else stops it as die() does: a SIGTERM from
 * another sender (shutdown, pg_terminate_backend) at the loop's top, and
 * at once (as die() does, from the handler) a second SIGTERM, one that
 * comes during a refresh, which may wait for a lock or take long, and one
 * that comes before the worker knows its slot.
 */
static void
worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (worker_busy || worker_sigterm_pending || MyDBSlot == NULL)
		worker_die_pending();
	worker_sigterm_pending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* pause_changes of our slot when the current refresh started */
static uint64 refresh_pause_changes = 0;

/*
 * The worker read diskquota.pause_state: set the slot's flag from it,
 * before publishing the quotas (so that a paused database refuses nothing
 * after a restart), unless pause() or resume() committed after the refresh
 * started.  Returns the flag, for diskquota_slot_cancel_writers().
 */
volatile bool *
diskquota_worker_publish_paused(bool paused)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (MyDBSlot->pause_changes == refresh_pause_changes)
		MyDBSlot->paused = paused;
	LWLockRelease(DiskquotaShared->lock);
	return &MyDBSlot->paused;
}

/*
 * The worker published the quotas: the database is fresh, from the moment
 * the map is, before the refresh stops statements (which must be for the
 * quota they exceed, not for staleness).
 */
void
diskquota_worker_published(void)
{
	bool		was_stale;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->published_at = GetCurrentTimestamp();
	was_stale = MyDBSlot->stale;
	if (was_stale)
	{
		MyDBSlot->stale = false;
		pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
	}
	strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (was_stale)
		ereport(LOG,
				(errmsg("diskquota enforces quotas in database \"%s\" again", dbname)));
}

/*
 * A refresh failed on a lock (DQ_LOCK_TIMEOUT, or the extension's lock):
 * say so once per episode, and show it in status() until a refresh
 * succeeds.  The database turns stale if that lasts (DQ_STALE_MS).
 */
static void
worker_refresh_blocked(const char *message)
{
	bool		first_time;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	first_time = MyDBSlot->blocked_since == 0;
	if (first_time)
		MyDBSlot->blocked_since = GetCurrentTimestamp();
	strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (first_time)
		ereport(WARNING,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("diskquota worker of database \"%s\" cannot refresh: %s",
						dbname, message),
				 errdetail("Another session holds or waits for a lock the refresh needs. The refresh is retried every second; after %d seconds without one, loads into targets with a quota are refused.",
						   DQ_STALE_MS / 1000),
				 errhint("See diskquota.status() and pg_locks.")));
}

/* A refresh succeeded: the episode of blocked refreshes is over. */
static void
worker_refresh_unblocked(void)
{
	TimestampTz since;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	since = MyDBSlot->blocked_since;
	MyDBSlot->blocked_since = 0;
	strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (since != 0)
		ereport(LOG,
				(errmsg("diskquota worker of database \"%s\" refreshes again, blocked since %s",
						dbname, timestamptz_to_str(since))));
}

static bool worker_extension_exists(void);

/*
 * One refresh in its own transaction.  Returns false if it failed on a lock
 * (lock_not_available: DQ_LOCK_TIMEOUT, or the extension's lock), after
 * rolling it back; any other error ends the worker, which the launcher
 * restarts.  *exists tells whether the extension is there.
 */
static bool
worker_try_refresh(bool full, int *degraded, bool *writing, bool *near_quota,
				   bool *paused, MemoryContext cycle_context, bool *exists)
{
	volatile bool ok = true;

	PG_TRY();
	{
		MemoryContext oldcontext;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		oldcontext = MemoryContextSwitchTo(cycle_context);
		pgstat_report_activity(STATE_RUNNING, "diskquota refresh");

		*exists = worker_extension_exists();
		if (*exists)
			*exists = diskquota_refresh(full, degraded, writing, near_quota,
										paused);

		MemoryContextSwitchTo(oldcontext);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(TopMemoryContext);
		worker_refresh_blocked(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static void
worker_exit(int code, Datum arg)
{
	bool		stopping;

	/* an error may have left our locks held: this runs before their release */
	LWLockReleaseAll();

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	stopping = MyDBSlot->state == DQ_DB_STOPPING;
	MyDBSlot->worker_pid = 0;
	MyDBSlot->worker_latch = NULL;
	MyDBSlot->refreshing = false;
	MyDBSlot->blocked_since = 0;
	if (MyDBSlot->state == DQ_DB_RUNNING || MyDBSlot->state == DQ_DB_STARTING)
		MyDBSlot->state = DQ_DB_STOPPED;
	ConditionVariableBroadcast(&MyDBSlot->epoch_cv);
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);

	/*
	 * The database is no longer monitored: withdraw our quotas, which we may
	 * have published after the launcher decided to stop us.  A worker that
	 * exits while still monitoring (an error) leaves its quotas in force
	 * until its successor's first refresh.
	 */
	if (stopping)
		diskquota_clear_quota_map(MyDatabaseId);
}

/* Leave because the extension is not (or no longer) in this database. */
static void
worker_exit_no_extension(void)
{
	char		dbname[NAMEDATALEN];

	diskquota_clear_quota_map(MyDatabaseId);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->state = DQ_DB_NO_EXTENSION;
	MyDBSlot->published_at = 0;
	MyDBSlot->blocked_since = 0;
	strlcpy(dbname, MyDBSlot->dbname, NAMEDATALEN);
	LWLockRelease(DiskquotaShared->lock);
	ereport(LOG,
			(errmsg("diskquota does not enforce quotas in database \"%s\": the extension is not created there",
					dbname),
			 errhint("Run CREATE EXTENSION diskquota in that database; the worker starts without a restart.")));
	proc_exit(0);
}

static bool
worker_extension_exists(void)
{
	return OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true));
}

/* ----------------------------------------------------------------
 * Getting a worker out of the way of database-level commands
 * ----------------------------------------------------------------
 */

/* How long a worker is held off while such a command runs */
#define WORKER_HOLD_MS		60000
/* How long such a command waits for the worker to exit */
#define WORKER_EXIT_WAIT_MS	5000

/*
 * Stop the worker of a database and keep the launcher from starting one
 * until diskquota_unhold_database(), or for WORKER_HOLD_MS if the caller
 * never gets there.  Waits until the worker has exited (at most
 * WORKER_EXIT_WAIT_MS).  Nothing to do if the database has no slot.
 */
static void
hold_database(Oid dbid)
{
	TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  WORKER_EXIT_WAIT_MS);

	for (;;)
	{
		DiskquotaDBSlot *slot;
		int			pid = 0;
		bool		starting = false;

		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		slot = diskquota_find_db_slot(dbid);
		if (slot == NULL)
		{
			LWLockRelease(DiskquotaShared->lock);
			return;
		}
		slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   WORKER_HOLD_MS);
		pid = slot->worker_pid;
		starting = slot->state == DQ_DB_STARTING;
		LWLockRelease(DiskquotaShared->lock);

		/* a worker starting now sees the hold and exits */
		if (pid == 0 && !starting)
			return;
		if (pid != 0)
			kill(pid, SIGTERM);
		if (GetCurrentTimestamp() >= give_up)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The command is over: the launcher may start the worker again. */
static void
unhold_database(Oid dbid)
{
	DiskquotaDBSlot *slot;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->hold_until = 0;
		DiskquotaShared->reconcile_requested = true;
		if (DiskquotaShared->launcher_latch)
			SetLatch(DiskquotaShared->launcher_latch);
	}
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Would the database's other sessions make the command fail?  PostgreSQL
 * refuses to drop, copy or move a database that another session (other
 * than autovacuum, which it stops) or a prepared transaction uses; with
 * FORCE (terminate), DROP DATABASE ends the sessions the user may signal,
 * and fails on the others.  Our worker does not count: it is what the hold
 * stops.  A session that connects after this check can still make the
 * command fail; then the hold ends with it.
 */
static bool
database_in_use(Oid dbid, bool terminate)
{
	int			worker_pid = 0;
	int			n;
	int			i;
	DiskquotaDBSlot *slot;
	bool		in_use = false;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
		worker_pid = slot->worker_pid;
	LWLockRelease(DiskquotaShared->lock);

	pgstat_clear_backend_activity_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n && !in_use; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *be = local ? &local->backendStatus : NULL;

		if (be == NULL || be->st_procpid <= 0 || be->st_databaseid != dbid ||
			be->st_procpid == MyProcPid || be->st_procpid == worker_pid ||
			be->st_backendType == B_AUTOVAC_WORKER)
			continue;
		if (terminate && be->st_backendType == B_BACKEND &&
			!(superuser_arg(be->st_userid) && !superuser()) &&
			(has_privs_of_role(GetUserId(), be->st_userid) ||
			 has_privs_of_role(GetUserId(), ROLE_PG_SIGNAL_BACKEND)))
			continue;
		in_use = true;
	}
	pgstat_clear_backend_activity_snapshot();

	if (!in_use && max_prepared_xacts > 0)
	{
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(dbid)};
		int			nestlevel = diskquota_internal_sql_begin();

		SPI_connect();
		if (SPI_execute_with_args("SELECT FROM pg_catalog.pg_prepared_xacts p"
								  " JOIN pg_catalog.pg_database d"
								  "   ON d.datname OPERATOR(pg_catalog.=) p.database"
								  " WHERE d.oid OPERATOR(pg_catalog.=) $1",
								  1, argtypes, values, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed > 0)
			in_use = true;
		SPI_finish();
		diskquota_internal_sql_end(nestlevel);
	}
	return in_use;
}

/* May the current user create objects in the tablespace named by opt? */
static bool
tablespace_usable(DefElem *opt)
{
	char	   *name = defGetString(opt);
	Oid			spcoid = get_tablespace_oid(name, true);

	if (!OidIsValid(spcoid) || spcoid == GLOBALTABLESPACE_OID)
		return false;
	return spcoid == DEFAULTTABLESPACE_OID ||
		pg_tablespace_aclcheck(spcoid, GetUserId(), ACL_CREATE) == ACLCHECK_OK;
}

/*
 * The database a command needs no other session connected to: DROP
 * DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... SET
 * TABLESPACE.  Only if PostgreSQL will not refuse the command for another
 * reason it checks first (the database missing, a privilege missing,
 * another session connected): a command that is refused must not stop the
 * worker.  InvalidOid for any other command.
 */
static pg_noinline Oid
database_needing_exclusive_access(Node *parsetree)
{
	Oid			dbid = InvalidOid;
	ListCell   *lc;
	HeapTuple	tuple;
	bool		istemplate = false;
	Oid			spcoid = InvalidOid;

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			{
				DropdbStmt *stmt = (DropdbStmt *) parsetree;
				bool		force = false;

				dbid = get_database_oid(stmt->dbname, true);
				foreach(lc, stmt->options)
				{
					if (strcmp(((DefElem *) lfirst(lc))->defname, "force") == 0)
						force = true;
				}
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!pg_database_ownercheck(dbid, GetUserId()))
					return InvalidOid;
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				istemplate = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
				ReleaseSysCache(tuple);
				if (istemplate || database_in_use(dbid, force))
					return InvalidOid;
				return dbid;
			}
		case T_CreatedbStmt:
			{
				CreatedbStmt *stmt = (CreatedbStmt *) parsetree;

				/*
				 * Options other than these (encoding, locales, strategy...)
				 * can make PostgreSQL refuse the command after more checks
				 * than are worth copying here: someone who is not a superuser
				 * gets no hold with them (the command then fails while the
				 * worker is connected).
				 */
				foreach(lc, stmt->options)
				{
					DefElem    *opt = (DefElem *) lfirst(lc);

					if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
						dbid = get_database_oid(defGetString(opt), true);
					else if (strcmp(opt->defname, "owner") == 0 && opt->arg != NULL)
					{
						Oid			owner = get_role_oid(defGetString(opt), true);

						if (!OidIsValid(owner) || !is_member_of_role(GetUserId(), owner))
							return InvalidOid;
					}
					else if (strcmp(opt->defname, "connection_limit") != 0 &&
							 strcmp(opt->defname, "tablespace") != 0 &&
							 strcmp(opt->defname, "template") != 0 &&
							 !superuser())
						return InvalidOid;
					else if (strcmp(opt->defname, "tablespace") == 0 && opt->arg != NULL &&
							 !tablespace_usable(opt))
						return InvalidOid;
				}
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!have_createdb_privilege() ||
					OidIsValid(get_database_oid(stmt->dbname, true)))
					return InvalidOid;
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				istemplate = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
				ReleaseSysCache(tuple);
				if ((!istemplate && !pg_database_ownercheck(dbid, GetUserId())) ||
					database_in_use(dbid, false))
					return InvalidOid;
				return dbid;
			}
		case T_AlterDatabaseStmt:
			{
				AlterDatabaseStmt *stmt = (AlterDatabaseStmt *) parsetree;
				DefElem    *spcopt = NULL;

				foreach(lc, stmt->options)
				{
					if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
						spcopt = (DefElem *) lfirst(lc);
				}
				if (spcopt == NULL)
					return InvalidOid;
				dbid = get_database_oid(stmt->dbname, true);
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!pg_database_ownercheck(dbid, GetUserId()) ||
					!tablespace_usable(spcopt))
					return InvalidOid;
				/* already there: PostgreSQL does nothing */
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				spcoid = ((Form_pg_database) GETSTRUCT(tuple))->dattablespace;
				ReleaseSysCache(tuple);
				if (spcoid == get_tablespace_oid(defGetString(spcopt), true) ||
					database_in_use(dbid, false))
					return InvalidOid;
				return dbid;
			}
		default:
			break;
	}
	return InvalidOid;
}

/*
 * Take the lock on the database that the command takes before it checks
 * anything (DROP DATABASE and ALTER DATABASE ... SET TABLESPACE:
 * AccessExclusiveLock; CREATE DATABASE, on its template: ShareLock), and
 * decide again under it: without it, a session holding a lock on the
 * database (COMMENT ON DATABASE in an open transaction, from another
 * database) keeps the command waiting with the worker held off for as long
 * as it likes, and whatever queues meanwhile (a rename) runs while no
 * worker is there.  The command finds the lock already held.  Returns
 * the database to hold, or InvalidOid.
 */
static Oid
lock_database_for_hold(Node *parsetree, Oid dbid)
{
	LockSharedObject(DatabaseRelationId, dbid, 0,
					 IsA(parsetree, CreatedbStmt) ? ShareLock : AccessExclusiveLock);
	if (database_needing_exclusive_access(parsetree) != dbid)
		return InvalidOid;
	return dbid;
}

/*
 * ALTER DATABASE ... RENAME of a database listed in
 * diskquota.monitor_databases, by someone who is not a superuser: refused.
 * The launcher finds databases by the names listed, so a renamed database
 * would no longer be monitored, and its quotas no longer enforced.  A
 * superuser may rename it (and then lists the new name).
 */
static void
check_database_rename(Node *parsetree)
{
	RenameStmt *stmt;

	if (!IsA(parsetree, RenameStmt))
		return;
	stmt = (RenameStmt *) parsetree;
	if (stmt->renameType != OBJECT_DATABASE || superuser() ||
		!diskquota_database_is_monitored(stmt->subname))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to rename database \"%s\"", stmt->subname),
			 errdetail("The database is listed in diskquota.monitor_databases: under another name its quotas would not be enforced."),
			 errhint("Ask a superuser to rename it and to list the new name in diskquota.monitor_databases.")));
}

/* Lift the hold when the command is over, however the backend leaves it */
static void
unhold_database_callback(int code, Datum arg)
{
	unhold_database(DatumGetObjectId(arg));
}

/*
 * DROP DATABASE and the like fail while another session is connected to
 * the database, and the worker is one: it is stopped first and kept away
 * until the command is over.  A dropped database's slot is then freed by
 * the launcher, which logs once that the listed database does not exist.
 */
void
diskquota_hold_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc,
							  ProcessUtility_hook_type next)
{
	Oid			dbid;

	diskquota_check_extension_command(pstmt->utilityStmt);
	check_database_rename(pstmt->utilityStmt);
	dbid = database_needing_exclusive_access(pstmt->utilityStmt);
	if (OidIsValid(dbid))
		dbid = lock_database_for_hold(pstmt->utilityStmt, dbid);
	if (!OidIsValid(dbid))
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		diskquota_check_extension_created(pstmt->utilityStmt);
		if (IsA(pstmt->utilityStmt, CreateExtensionStmt) &&
			strcmp(((CreateExtensionStmt *) pstmt->utilityStmt)->extname,
				   DISKQUOTA_EXTENSION_NAME) == 0 &&
			diskquota_database_beyond_limit(get_database_name(MyDatabaseId)))
			ereport(WARNING,
					(errmsg("diskquota will not enforce quotas in database \"%s\"",
							get_database_name(MyDatabaseId)),
					 errdetail("diskquota.monitor_databases lists more than diskquota.max_databases (%d) databases, and this one is beyond that number.",
							   diskquota_max_databases),
					 errhint("Increase diskquota.max_databases and restart the server.")));
		return;
	}

	/*
	 * The hold is lifted on every way out: the command's end, an error (also
	 * a cancel while we wait for the worker), and the backend's exit (FATAL,
	 * pg_terminate_backend), by the before_shmem_exit callback that
	 * PG_ENSURE_ERROR_CLEANUP registers for its duration.
	 */
	PG_ENSURE_ERROR_CLEANUP(unhold_database_callback, ObjectIdGetDatum(dbid));
	{
		hold_database(dbid);
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
	}
	PG_END_ENSURE_ERROR_CLEANUP(unhold_database_callback, ObjectIdGetDatum(dbid));
	unhold_database(dbid);
}

void
diskquota_worker_main(Datum main_arg)
{
	Oid			dbid = DatumGetObjectId(main_arg);
	TimestampTz last_full_rescan = 0;
	bool		first = true;
	int			recent_degraded = 0;	/* DQ_DEGRADED_TRANSIENT bits met
										 * lately */
	bool		force_full = false; /* the last refresh was rolled back */
	bool		blocked;
	TimestampTz recent_degraded_at = 0;
	MemoryContext cycle_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, worker_sigterm);
	BackgroundWorkerUnblockSignals();

	/*
	 * A fixed configuration, whatever the database's owner set for it (ALTER
	 * DATABASE ... SET), and a connection whatever its connection settings
	 * (ALLOW_CONNECTIONS false): see ownobjects.c.
	 */
	diskquota_fix_worker_settings();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid,
											  BGWORKER_BYPASS_ALLOWCONN);
	diskquota_check_worker_identity();
	pgstat_report_appname("diskquota worker");

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot = diskquota_find_db_slot(dbid);
	if (MyDBSlot == NULL || MyDBSlot->worker_pid != 0 ||
		GetCurrentTimestamp() < MyDBSlot->hold_until)
	{
		/* removed from the list meanwhile, a duplicate, or held off */
		LWLockRelease(DiskquotaShared->lock);
		MyDBSlot = NULL;
		proc_exit(0);
	}
	MyDBSlot->worker_pid = MyProcPid;
	MyDBSlot->worker_latch = MyLatch;
	MyDBSlot->full_rescans = 0;
	LWLockRelease(DiskquotaShared->lock);
	before_shmem_exit(worker_exit, (Datum) 0);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!worker_extension_exists())
	{
		CommitTransactionCommand();
		worker_exit_no_extension();
	}
	CommitTransactionCommand();

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->state = DQ_DB_RUNNING;
	LWLockRelease(DiskquotaShared->lock);
	ConditionVariableBroadcast(&MyDBSlot->epoch_cv);

	diskquota_model_init();
	diskquota_enforcement_exempt_process();
	cycle_context = AllocSetContextCreate(TopMemoryContext,
										  "diskquota refresh cycle",
										  ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		bool		full;
		bool		writing = false;
		bool		near_quota = true;
		bool		paused = false;
		long		timeout;
		int			degraded = 0;
		TimestampTz start;
		TimestampTz end;
		bool		exists = false;

		/* Wake-ups from now on ask for the next refresh, not this one. */
		ResetLatch(MyLatch);
		worker_busy = true;

		/*
		 * Stopped by the launcher (no longer listed) or held off by DROP
		 * DATABASE and the like (see worker_sigterm): exit with a LOG line.
		 * Any other SIGTERM stops the worker as die() does, at the
		 * CHECK_FOR_INTERRUPTS() below.
		 */
		start = GetCurrentTimestamp();
		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		if (MyDBSlot->state == DQ_DB_STOPPING || start < MyDBSlot->hold_until)
		{
			bool		held = MyDBSlot->state != DQ_DB_STOPPING;
			char		dbname[NAMEDATALEN];

			strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
			LWLockRelease(DiskquotaShared->lock);
			ereport(LOG,
					(errmsg("diskquota worker of database \"%s\" stops: %s",
							dbname,
							held ? "a command on the database needs it out of the way" :
							"the database is no longer listed in diskquota.monitor_databases")));
			proc_exit(0);
		}
		if (worker_sigterm_pending)
			worker_die_pending();
		MyDBSlot->refreshing = true;
		full = first || force_full || MyDBSlot->rescan_requested ||
			(diskquota_full_rescan_interval > 0 &&
			 TimestampDifferenceExceeds(last_full_rescan, start,
										diskquota_full_rescan_interval * 1000));
		MyDBSlot->rescan_requested = false;
		degraded = MyDBSlot->pending_degraded;
		MyDBSlot->pending_degraded = 0;
		refresh_pause_changes = MyDBSlot->pause_changes;
		LWLockRelease(DiskquotaShared->lock);

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/*
		 * A refresh that waits for a lock longer than DQ_LOCK_TIMEOUT (or
		 * cannot have the extension's lock) fails with lock_not_available: it
		 * is rolled back, logged once per episode, shown by status(), and
		 * retried at the next loop, as a full rescan (what it drained from
		 * the active map is lost).  Any other error ends the worker, which
		 * the launcher restarts.
		 */
		blocked = !worker_try_refresh(full, &degraded, &writing, &near_quota,
									  &paused, cycle_context, &exists);
		pgstat_report_activity(STATE_IDLE, NULL);
		MemoryContextReset(cycle_context);

		if (blocked)
		{
			force_full = true;
			LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
			MyDBSlot->refreshing = false;
			LWLockRelease(DiskquotaShared->lock);
			worker_busy = false;
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Min(diskquota_naptime * 1000L, DQ_BLOCKED_RETRY_MS),
							 PG_WAIT_EXTENSION);
			continue;
		}
		force_full = false;
		worker_refresh_unblocked();

		if (!exists)
			worker_exit_no_extension();

		if (full)
			last_full_rescan = start;
		first = false;
		end = GetCurrentTimestamp();
		if (TimestampDifferenceExceeds(recent_degraded_at, end, DQ_DEGRADED_SHOWN_MS))
			recent_degraded = 0;
		if (degraded & DQ_DEGRADED_TRANSIENT)
		{
			recent_degraded |= degraded & DQ_DEGRADED_TRANSIENT;
			recent_degraded_at = end;
		}

		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		MyDBSlot->refreshing = false;
		MyDBSlot->epoch++;
		MyDBSlot->last_refresh = end;
		MyDBSlot->last_refresh_ms = (double) (end - start) / 1000.0;
		MyDBSlot->degraded = degraded | recent_degraded;
		MyDBSlot->near_quota = near_quota;
		if (full)
			MyDBSlot->full_rescans++;
		LWLockRelease(DiskquotaShared->lock);
		ConditionVariableBroadcast(&MyDBSlot->epoch_cv);

		/*
		 * Sleep holding no snapshot and no lock; not long while statements
		 * write, so that one crossing a quota is stopped soon.
		 */
		timeout = diskquota_naptime * 1000L;
		if (writing && diskquota_load_check_interval > 0)
			timeout = Min(timeout, diskquota_load_check_interval);
		worker_busy = false;
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout,
						 PG_WAIT_EXTENSION);
	}
}
