# Relations created by a prepared transaction stay counted across a server
# restart (the prepared transaction survives it; the worker finds its
# relations in the catalog at its first refresh), and are re-sized when it
# commits.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('prepared');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.naptime = 3600
max_prepared_transactions = 5
autovacuum = off
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE public.ref AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s', '1 GB');
BEGIN;
CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i;
PREPARE TRANSACTION 'dq_p';
});

sub usage_is_ref
{
	return $node->safe_psql('postgres', q{
SELECT diskquota.wait_for_worker_new_epoch();
SELECT used_bytes = pg_total_relation_size('public.ref')
  FROM diskquota.quota_usage()
 WHERE quota_type = 'schema' AND target_oid = 's'::regnamespace});
}

is(usage_is_ref(), "t\nt", 'prepared relation counted');
$node->restart;
is(usage_is_ref(), "t\nt", 'prepared relation counted after a restart');
$node->safe_psql('postgres', "COMMIT PREPARED 'dq_p'");
is(usage_is_ref(), "t\nt", 'committed relation counted');
is( $node->safe_psql(
		'postgres', q{
SELECT used_bytes = pg_total_relation_size('s.t')
  FROM diskquota.quota_usage()
 WHERE quota_type = 'schema' AND target_oid = 's'::regnamespace}),
	't',
	'usage exact after COMMIT PREPARED');

$node->stop;
done_testing();
