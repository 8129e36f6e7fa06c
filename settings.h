/*-------------------------------------------------------------------------
 *
 * settings.h
 *		The settings of diskquota (settings.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_SETTINGS_H
#define DISKQUOTA_SETTINGS_H

/* The settings' variables */
extern char *diskquota_monitor_databases;
extern int	diskquota_naptime;
extern int	diskquota_max_active_tables;
extern int	diskquota_max_quotas;
extern int	diskquota_max_databases;
extern int	diskquota_full_rescan_interval;
extern int	diskquota_load_check_interval;
extern bool diskquota_self_charge;
extern bool diskquota_file_feed;
extern bool diskquota_feed_simulate_overflow;
extern int	diskquota_default_grace;
extern double diskquota_advisory_hysteresis;
extern int	diskquota_notify_payload;
extern char *diskquota_event_readers;
extern char *diskquota_approver_role;
extern int	diskquota_max_requests_per_day;
extern int	diskquota_grace_warn_before;
extern int	diskquota_event_retention;
extern int	diskquota_reminder_interval;
extern int	diskquota_denied_notify_interval;
extern int	diskquota_history_interval;
extern int	diskquota_history_retention;
extern double diskquota_overuse_decay;
extern int	diskquota_frequent_overuse_days;
extern int	diskquota_overuse_step;
extern int	diskquota_min_grace;
extern int	diskquota_test_clock_offset;

/* diskquota.notify_payload */
typedef enum DiskquotaNotifyPayload
{
	DQ_NOTIFY_FULL,
	DQ_NOTIFY_ID
} DiskquotaNotifyPayload;

/*
 * A quota is "near" when less than this is left of it: what a load writing
 * 1 GB/s adds in diskquota.naptime seconds.  While a quota of a database is
 * near, the file-change feed wakes its worker as files grow; otherwise the
 * worker refreshes every diskquota.naptime, which is soon enough.
 */
#define DQ_NEAR_QUOTA_BYTES		((int64) diskquota_naptime * 1024 * 1024 * 1024)

extern void diskquota_define_settings(void);

#endif							/* DISKQUOTA_SETTINGS_H */
