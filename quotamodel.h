/*-------------------------------------------------------------------------
 *
 * quotamodel.h
 *		The worker's model of disk usage (quotamodel.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotamodel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_QUOTAMODEL_H
#define DISKQUOTA_QUOTAMODEL_H

#include "registry.h"

/* One refresh: what the worker asks, and what it learns */
typedef struct DiskquotaRefresh
{
	/* set by the worker */
	bool		full;			/* a full rescan */
	DiskquotaDBSlot *slot;		/* the worker's slot */
	uint64		pause_changes;	/* the slot's when the refresh started */
	int			degraded;		/* DQ_DEGRADED_* bits; the refresh adds its
								 * own */
	/* set by diskquota_refresh() */
	bool		writers;		/* statements of the database write */
	bool		writing;		/* statements write and no feed sees them */
	bool		near_quota;		/* a quota is within DQ_NEAR_QUOTA_BYTES */
	bool		paused;			/* diskquota.pause_state says paused */
} DiskquotaRefresh;

extern void diskquota_model_init(void);
extern bool diskquota_refresh(DiskquotaRefresh *refresh);
extern void diskquota_stop_growing_maintenance(volatile bool *paused);

#endif							/* DISKQUOTA_QUOTAMODEL_H */
