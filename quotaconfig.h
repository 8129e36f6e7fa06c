/*-------------------------------------------------------------------------
 *
 * quotaconfig.h
 *		What the SQL functions that set quotas (quotaconfig.c) offer the
 *		other SQL functions: reading a target from a function's arguments,
 *		and setting a hard limit.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotaconfig.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_QUOTACONFIG_H
#define DISKQUOTA_QUOTACONFIG_H

#include "fmgr.h"

#include "diskquota_common.h"

extern void diskquota_target_args(FunctionCallInfo fcinfo, int typearg, int targetarg,
								  int spcarg, bool for_removal, DiskquotaTarget *target);
extern void diskquota_store_hard_limit(const DiskquotaTarget *target, int64 bytes);

#endif							/* DISKQUOTA_QUOTACONFIG_H */
