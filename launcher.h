/*-------------------------------------------------------------------------
 *
 * launcher.h
 *		The launcher: one per cluster, it keeps a worker running per
 *		monitored database and runs the file-change feed (launcher.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_LAUNCHER_H
#define DISKQUOTA_LAUNCHER_H


extern void diskquota_launcher_register(void);
PGDLLEXPORT void diskquota_launcher_main(Datum main_arg);

#endif							/* DISKQUOTA_LAUNCHER_H */
