/*-------------------------------------------------------------------------
 *
 * quotamap.h
 *		The shared quota map: the quotas of every monitored database with
 *		their usage and whether they are exceeded, as the workers last
 *		published them (quotamap.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotamap.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_QUOTAMAP_H
#define DISKQUOTA_QUOTAMAP_H

#include "common/relpath.h"
#include "nodes/pg_list.h"
#include "storage/block.h"
#include "storage/smgr.h"
#include "datatype/timestamp.h"

#include "diskquota_common.h"

/* Where a target stands against its quota (diskquota.quotas.state) */
typedef enum DiskquotaQuotaState
{
	DQ_STATE_UNDER = 0,			/* under every threshold */
	DQ_STATE_ADVISORY,			/* an advisory threshold is reached */
	DQ_STATE_SOFT,				/* above the soft limit, in its grace period */
	DQ_STATE_GRACE_EXPIRED,		/* above the soft limit, grace period over */
	DQ_STATE_HARD				/* at or above the hard limit */
} DiskquotaQuotaState;

/* At most this many advisory thresholds per quota */
#define DQ_MAX_ADVISORY 16

/*
 * What a quota sets besides the limit it enforces, and where its target
 * stands, as the worker decided at its last refresh (policy.c): for the
 * views, the notices of targets in grace and the quota errors' details.
 */
typedef struct DiskquotaQuotaPolicy
{
	bool		enforced;		/* false: accounting only, never refuses */
	bool		defaulted;		/* from a default quota, not its own */
	bool		unlimited;		/* hard limit 'unlimited' */
	uint8		state;			/* DiskquotaQuotaState */
	int64		hard_bytes;		/* -1: none */
	int64		soft_bytes;		/* -1: none */
	int64		grace_us;		/* grace period of the soft limit */
	TimestampTz over_soft_since;	/* 0: not above the soft limit */
	TimestampTz grace_expires_at;	/* 0: not above the soft limit */
	int			nadvisory;
	int64		advisory[DQ_MAX_ADVISORY];	/* ascending */
	uint32		latched;		/* bit i: advisory[i] is reached */
	bool		notify;			/* false: its events are not logged */
	int64		reminder_us;	/* 0: no reminders */
	double		overuse_mb_days;	/* over-use (history.c) */
	int			days_over_30d;
	int			level;			/* escalation level */
} DiskquotaQuotaPolicy;

/*
 * One quota: what the worker publishes, and what readers copy.
 * quota_bytes is the limit enforced (the hard limit of an enforced quota;
 * -1 if none); rejected is whether its target's loads are refused (over
 * the hard limit, or over the soft limit after its grace period).
 */
typedef struct DiskquotaQuotaInfo
{
	DiskquotaTarget target;
	int64		quota_bytes;
	int64		used_bytes;
	bool		rejected;
	DiskquotaQuotaPolicy policy;
	uint64		denied_count;	/* statements refused before they started */
	uint64		stopped_count;	/* running statements stopped */
} DiskquotaQuotaInfo;

/*
 * The refusals counted per target (diskquota_count_refusal): statements
 * refused before they started (write_denied), running ones stopped
 * (load_stopped)
 */
typedef enum DiskquotaRefusalKind
{
	DQ_REFUSAL_DENIED = 0,
	DQ_REFUSAL_STOPPED,
	DQ_REFUSAL_KINDS
} DiskquotaRefusalKind;

/* Refusals of a target not yet logged as an event (diskquota_refusals_due) */
typedef struct DiskquotaRefusals
{
	DiskquotaTarget target;
	DiskquotaRefusalKind kind;
	uint64		count;			/* since the last event of this kind */
	uint64		total;			/* since the entry was made */
	int64		quota_bytes;
	int64		used_bytes;
	DiskquotaQuotaPolicy policy;
} DiskquotaRefusals;

/* Bytes a running statement charges to one target (diskquota_charge_headroom) */
typedef struct DiskquotaCharge
{
	DiskquotaTarget target;
	int64		bytes;
} DiskquotaCharge;

extern const char *diskquota_quota_type_name(int type);
extern int	diskquota_quota_type_of(const char *name);

extern Size diskquota_quota_shmem_size(void);
extern void diskquota_quota_shmem_init(void);
extern Size diskquota_charged_shmem_size(void);
extern void diskquota_charged_shmem_init(void);

/* The worker (quotamodel.c) */
extern int	diskquota_publish_quotas(List *quotas);
extern void diskquota_headroom_sizing_starts(void);

/* Readers */
extern int	diskquota_targets_of_files(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
									   DiskquotaTarget *targets);
extern bool diskquota_any_rejected(void);
extern bool diskquota_rejected_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
									  bool tablespace_only, DiskquotaTarget *target);
extern bool diskquota_refused_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
									 bool tablespace_only, DiskquotaTarget *target);
extern uint64 diskquota_reject_epoch(void);
extern bool diskquota_newly_rejected(uint64 epoch, DiskquotaTarget *target);
extern List *diskquota_copy_quota_map(Oid dbid);
extern bool diskquota_target_usage(Oid dbid, const DiskquotaTarget *target,
								   int64 *quota_bytes, int64 *used_bytes);
extern bool diskquota_target_info(Oid dbid, const DiskquotaTarget *target,
								  DiskquotaQuotaInfo *info);
extern bool diskquota_any_in_grace(void);
extern bool diskquota_grace_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
								   DiskquotaQuotaInfo *info);
extern int64 diskquota_target_charged(Oid dbid, const DiskquotaTarget *target);
extern void diskquota_clear_quota_map(Oid dbid);
extern void diskquota_count_refusal(Oid dbid, const DiskquotaTarget *target,
									DiskquotaRefusalKind kind);
extern List *diskquota_refusals_due(TimestampTz now, int64 interval_us);
extern void diskquota_refusals_logged(const DiskquotaRefusals *refusals,
									  TimestampTz now);

/* Running statements charging what they write (selfcharge.c) */
extern bool diskquota_targets_headroom(Oid dbid, const DiskquotaTarget *targets,
									   int n, int64 *remaining,
									   DiskquotaTarget *tightest);
extern bool diskquota_charge_headroom(Oid dbid, const DiskquotaCharge *charges,
									  int n, DiskquotaTarget *crossed,
									  int64 *remaining);
extern void diskquota_reserve_headroom(Oid dbid, const DiskquotaCharge *charges,
									   int n);

/* The high-water marks of the relations running statements charge */
extern bool diskquota_charged_rel_acquire(Oid dbid, Oid relid,
										  SMgrRelation smgr,
										  BlockNumber *nblocks);
extern void diskquota_charged_rel_release(Oid dbid, Oid relid);
extern int64 diskquota_charged_rel_measure(Oid dbid, Oid relid,
										   SMgrRelation smgr,
										   BlockNumber *nblocks,
										   const bool *counted);

#endif							/* DISKQUOTA_QUOTAMAP_H */
