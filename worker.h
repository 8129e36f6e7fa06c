/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The worker of one monitored database (worker.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_WORKER_H
#define DISKQUOTA_WORKER_H


PGDLLEXPORT void diskquota_worker_main(Datum main_arg);

#endif							/* DISKQUOTA_WORKER_H */
