/*-------------------------------------------------------------------------
 *
 * refusal.h
 *		The quota error: its message, detail and SQLSTATE, and the counting
 *		of refusals (refusal.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		refusal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_REFUSAL_H
#define DISKQUOTA_REFUSAL_H

#include "diskquota_common.h"
#include "quotamap.h"

extern void diskquota_report_rejected(const DiskquotaTarget *target,
									  DiskquotaRefusalKind kind);

/* Names and sizes as the quota messages print them (the grace notice) */
extern char *diskquota_refusal_tablespace_name(Oid spcoid);
extern char *diskquota_refusal_target_name(const DiskquotaTarget *target);
extern char *diskquota_refusal_size_pretty(int64 bytes);

#endif							/* DISKQUOTA_REFUSAL_H */
