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

#include "diskquota_common.h"

/* One quota: what the worker publishes, and what readers copy */
typedef struct DiskquotaQuotaInfo
{
	DiskquotaTarget target;
	int64		quota_bytes;
	int64		used_bytes;
	bool		rejected;		/* used_bytes >= quota_bytes */
} DiskquotaQuotaInfo;

/* Bytes a running statement charges to one target (diskquota_charge_headroom) */
typedef struct DiskquotaCharge
{
	DiskquotaTarget target;
	int64		bytes;
} DiskquotaCharge;

extern Size diskquota_quota_shmem_size(void);
extern void diskquota_quota_shmem_init(void);
extern Size diskquota_charged_shmem_size(void);
extern void diskquota_charged_shmem_init(void);

/* The worker (quotamodel.c) */
extern int	diskquota_publish_quotas(List *quotas);
extern void diskquota_headroom_sizing_starts(void);

/* Readers */
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
extern int64 diskquota_target_charged(Oid dbid, const DiskquotaTarget *target);
extern void diskquota_clear_quota_map(Oid dbid);

/* Running statements charging what they write (enforcement.c) */
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
