/*-------------------------------------------------------------------------
 *
 * policy.h
 *		Quota policy: soft limits and their grace periods, advisory
 *		thresholds, accounting-only quotas; where each target stands, kept
 *		across restarts (policy.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_POLICY_H
#define DISKQUOTA_POLICY_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"

#include "quotamap.h"

/*
 * A quota as configured: one row of quota_config or default_quota.  The
 * percentages are of the hard limit.
 */
typedef struct DiskquotaPolicyConfig
{
	int64		hard_bytes;		/* -1: none */
	bool		unlimited;		/* 'unlimited' */
	int64		soft_bytes;		/* -1: none */
	double		soft_percent;	/* 0: none */
	int64		grace_us;		/* -1: diskquota.default_grace */
	bool		enforced;
	bool		notify;			/* false: its events are not logged */
	int64		reminder_us;	/* -1: diskquota.reminder_interval */
	int			nadvisory_bytes;
	int64		advisory_bytes[DQ_MAX_ADVISORY];
	int			nadvisory_percent;
	double		advisory_percent[DQ_MAX_ADVISORY];
} DiskquotaPolicyConfig;

/* The number of columns diskquota_policy_from_row reads */
#define DQ_POLICY_COLUMNS 10

extern void diskquota_policy_from_row(HeapTuple tuple, TupleDesc desc, int first,
									  DiskquotaPolicyConfig *config);
extern void diskquota_policy_hard_only(int64 hard_bytes,
									   DiskquotaPolicyConfig *config);
extern void diskquota_policy_resolve(const DiskquotaPolicyConfig *config,
									 DiskquotaQuotaPolicy *policy);
extern int64 diskquota_percent_of(int64 hard_bytes, double percent);

/* The worker, at each refresh (quotamodel.c) */
extern void diskquota_policy_state_load(Oid staterel);
extern void diskquota_policy_apply(DiskquotaQuotaInfo *quota, TimestampTz now);
extern bool diskquota_policy_state_changed(void);
extern void diskquota_policy_state_store(Oid staterel, Oid eventsrel);
extern const char *diskquota_quota_state_name(uint8 state);

#endif							/* DISKQUOTA_POLICY_H */
