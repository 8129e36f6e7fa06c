/*-------------------------------------------------------------------------
 *
 * history.h
 *		Usage history, over-use in megabyte-days and escalation levels,
 *		kept by the worker (history.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		history.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_HISTORY_H
#define DISKQUOTA_HISTORY_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "diskquota_common.h"
#include "quotamap.h"

/*
 * Rows of usage_history deleted by one bucket's end at most, beyond as many
 * as it wrote
 */
#define DQ_HISTORY_PURGE_BATCH 1000

/* The worker's clock: the system's, plus diskquota.test_clock_offset */
extern TimestampTz diskquota_worker_clock(void);

/* The worker, at each refresh (quotamodel.c) */
extern void diskquota_history_load(Oid overuserel);
extern void diskquota_history_apply(DiskquotaQuotaInfo *quota, TimestampTz now);
extern bool diskquota_history_due(void);
extern void diskquota_history_store(Oid historyrel, Oid overuserel, Oid eventsrel);
extern int64 diskquota_escalated_grace(int64 grace_us, int level);
extern List *diskquota_history_roles(void);

#endif							/* DISKQUOTA_HISTORY_H */
