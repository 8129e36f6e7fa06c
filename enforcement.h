/*-------------------------------------------------------------------------
 *
 * enforcement.h
 *		Refusing loads into targets over their quota, before and while a
 *		statement runs (enforcement.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		enforcement.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_ENFORCEMENT_H
#define DISKQUOTA_ENFORCEMENT_H

#include "catalog/objectaccess.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "optimizer/planner.h"
#include "tcop/utility.h"

extern void diskquota_enforcement_register_xact_callbacks(void);

/* Steps of the hooks (diskquota.c) */
extern PlannedStmt *diskquota_enforcement_planner(Query *parse, const char *query_string,
												  int cursorOptions, ParamListInfo boundParams,
												  planner_hook_type next);
extern void diskquota_enforcement_ExecutorStart(QueryDesc *queryDesc, int eflags,
												ExecutorStart_hook_type next);
extern void diskquota_enforcement_ExecutorRun(QueryDesc *queryDesc,
											  ScanDirection direction, uint64 count,
											  bool execute_once, ExecutorRun_hook_type next);
extern void diskquota_enforcement_ExecutorFinish(QueryDesc *queryDesc,
												 ExecutorFinish_hook_type next);
extern void diskquota_enforcement_ExecutorEnd(QueryDesc *queryDesc,
											  ExecutorEnd_hook_type next);
extern void diskquota_enforcement_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
												 bool readOnlyTree, ProcessUtilityContext context,
												 ParamListInfo params, QueryEnvironment *queryEnv,
												 DestReceiver *dest, QueryCompletion *qc,
												 ProcessUtility_hook_type next);
extern bool diskquota_enforcement_needs_fmgr(Oid fn_oid);
extern void diskquota_enforcement_fmgr(FmgrHookEventType event, FmgrInfo *flinfo,
									   Datum *arg);
extern void diskquota_enforcement_object_access(ObjectAccessType access, Oid classId,
												Oid objectId, int subId, void *arg);

/* diskquota.pause() and resume() (diskquota_utility.c) */
extern void diskquota_set_paused_at_commit(bool paused);

/* The launcher and the workers write anything */
extern void diskquota_enforcement_exempt_process(void);

#endif							/* DISKQUOTA_ENFORCEMENT_H */
