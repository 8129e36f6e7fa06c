/*-------------------------------------------------------------------------
 *
 * events.h
 *		The event log: what happened to quotas, written by the worker with
 *		a NOTIFY (events.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_EVENTS_H
#define DISKQUOTA_EVENTS_H

#include "datatype/timestamp.h"

#include "diskquota_common.h"

/*
 * One event: of a quota's target, or of the database (a system event:
 * target.type -1, and used_bytes -1)
 */
typedef struct DiskquotaEvent
{
	const char *event;			/* advisory_exceeded, soft_cleared, ... */
	DiskquotaTarget target;
	const char *threshold;		/* advisory, soft, hard or NULL */
	int64		limit_bytes;	/* -1: none */
	int64		used_bytes;
	TimestampTz grace_expires_at;	/* 0: none */
	int64		count;
	const char *detail;			/* a JSON object, or NULL */
} DiskquotaEvent;

/* Events deleted by one refresh at most (diskquota.event_retention) */
#define DQ_EVENT_PURGE_BATCH 1000

extern char *diskquota_target_name(const DiskquotaTarget *target);
extern void diskquota_event_log(Oid eventsrel, const DiskquotaEvent *event);
extern void diskquota_event_log_now(const DiskquotaEvent *event);
extern bool diskquota_events_expired(Oid eventsrel);
extern void diskquota_events_purge(Oid eventsrel);

#endif							/* DISKQUOTA_EVENTS_H */
