/*-------------------------------------------------------------------------
 *
 * hold.h
 *		Getting a worker out of the way of DROP DATABASE and the like
 *		(hold.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		hold.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_HOLD_H
#define DISKQUOTA_HOLD_H

#include "tcop/utility.h"

extern void diskquota_hold_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
										  bool readOnlyTree, ProcessUtilityContext context,
										  ParamListInfo params, QueryEnvironment *queryEnv,
										  DestReceiver *dest, QueryCompletion *qc,
										  ProcessUtility_hook_type next);

#endif							/* DISKQUOTA_HOLD_H */
