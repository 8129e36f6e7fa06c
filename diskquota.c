/*-------------------------------------------------------------------------
 *
 * diskquota.c
 *		Loading the diskquota extension: its settings, the size of its
 *		shared memory, and its hooks.
 *
 * _PG_init defines the settings (settings.c), registers the launcher
 * (launcher.c) and the modules' transaction callbacks, and installs every
 * hook in one block: one function per core hook, which calls the steps of
 * the modules in the order written in one comment (section "Hooks") and
 * ends with the previous hook or the standard function, called exactly
 * once on every path.  Everything but the settings needs
 * shared_preload_libraries.
 *
 * This file owns no shared state: the shmem hooks ask each module for the
 * size of its structures and let it create them.
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

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "diskquota_common.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "backendslot.h"
#include "enforcement.h"
#include "hold.h"
#include "launcher.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

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

/*
 * Module load callback.  Everything but the settings (settings.c) needs
 * shared_preload_libraries; without it the SQL functions raise an error
 * (diskquota_require_shmem) instead of silently doing nothing.
 */
void
_PG_init(void)
{
	diskquota_define_settings();

	if (!process_shared_preload_libraries_in_progress)
		return;

	diskquota_launcher_register();

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
 *	ProcessUtility: the check of CREATE/ALTER EXTENSION diskquota
 *	  (diskquota_check_extension_command, and after the command
 *	  diskquota_check_extension_created: ownobjects.c), around the DROP
 *	  DATABASE hold (diskquota_hold_ProcessUtility),
 *	  then enforcement (diskquota_enforcement_ProcessUtility), then the
 *	  active map (diskquota_active_ProcessUtility), then the previous hook
 *	  or standard_ProcessUtility, and after it, once the statement has
 *	  succeeded, the backend slots' (diskquota_slot_utility_done).
 *	ExecutorEnd: enforcement (diskquota_enforcement_ExecutorEnd), then the
 *	  active map (diskquota_active_ExecutorEnd, which only marks the result
 *	  relations), then the previous hook or standard_ExecutorEnd.
 *	object_access_hook: the previous hook, then the backend slots'
 *	  (publish a new relation's files), enforcement's (check the relation a
 *	  CREATE TABLE AS creates), the active map's (remember the relation).
 *
 * The other hooks have one step each: planner, ExecutorStart, ExecutorRun,
 * ExecutorFinish, needs_fmgr_hook and fmgr_hook enforcement's (the fmgr
 * hooks call the previous hook first on FHET_START and last on FHET_END
 * and FHET_ABORT, and ask ours only if the previous needs_fmgr_hook says
 * no); shmem_request_hook and shmem_startup_hook size and create the
 * shared structures of the modules.
 * ----------------------------------------------------------------
 */

static void
dq_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	diskquota_slot_object_access(access, classId, objectId, subId, arg);
	diskquota_enforcement_object_access(access, classId, objectId, subId, arg);
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

/* ProcessUtility after the active map's step: the next, then the slots' */
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
	diskquota_slot_utility_done(pstmt);
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
	/* CREATE/ALTER EXTENSION diskquota into a schema it can trust? */
	diskquota_check_extension_command(pstmt->utilityStmt);
	diskquota_hold_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc,
								  enforcement_then_next_ProcessUtility);
	diskquota_check_extension_created(pstmt->utilityStmt);
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



static void
dq_shmem_request(void)
{
	Size		size;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	size = diskquota_registry_shmem_size();
	size = add_size(size, diskquota_active_shmem_size());
	size = add_size(size, diskquota_quota_shmem_size());
	size = add_size(size, diskquota_charged_shmem_size());
	size = add_size(size, diskquota_slot_shmem_size());
	RequestAddinShmemSpace(size);
	RequestNamedLWLockTranche("diskquota", DQ_NUM_LWLOCKS);
}

static void
dq_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	diskquota_registry_shmem_init();
	diskquota_active_shmem_init();
	diskquota_quota_shmem_init();
	diskquota_charged_shmem_init();
	diskquota_slot_shmem_init();

	LWLockRelease(AddinShmemInitLock);
}
