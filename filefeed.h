/*-------------------------------------------------------------------------
 *
 * filefeed.h
 *		The file-change feed: inotify on the monitored databases'
 *		directories, run by the launcher (filefeed.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		filefeed.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_FILEFEED_H
#define DISKQUOTA_FILEFEED_H


extern bool diskquota_feed_start(void);
extern void diskquota_feed_stop(void);
extern int	diskquota_feed_fd(void);
extern void diskquota_feed_watch(const Oid *dbids, int ndbs);
extern bool diskquota_feed_drain(void);
extern long diskquota_feed_next_wake(void);
extern bool diskquota_feed_watches(Oid dbid);
extern int	diskquota_feed_last_events(void);

#endif							/* DISKQUOTA_FILEFEED_H */
