# Over-use, days over, levels and the usage history survive a clean restart
# and a crash (they continue from quota_overuse, not from scratch), and the
# history's retention deletes old buckets.  Days pass through the test-only
# setting diskquota.test_clock_offset.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use DiskquotaNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = diskquota_node(
	'history_restart', q{
diskquota.naptime = 1
diskquota.overuse_step = 1
});

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_quota('schema', 's', '100 MB', soft => '1 MB', grace => '1 day');
SELECT diskquota.wait_for_worker_new_epoch();
});


sub set_offset
{
	my ($offset) = @_;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET diskquota.test_clock_offset = '$offset'; SELECT pg_reload_conf()");
}

# over-use, days over and level as the view shows them
sub overuse
{
	return $node->safe_psql('postgres',
		"SELECT round(overuse_mb_days::numeric, 2) || ' ' || days_over_30d || ' ' || level"
		  . " FROM diskquota.quotas WHERE target_name = 's'");
}

sub history_rows
{
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM diskquota.usage_history WHERE target_oid = 's'::regnamespace");
}


# A day over the soft limit: the bucket that ended and the over-use are
# written (quota_overuse) when the worker's clock passes into the next hour.
set_offset('1d');
ok( $node->poll_query_until(
		'postgres',
		"SELECT updated_at > now() + interval '23 hours' FROM diskquota.quota_overuse"
		  . " WHERE target_oid = 's'::regnamespace"),
	'over-use written after a day');
my $before = overuse();
like($before, qr/^2\.\d\d 2 [23]$/, "a day over by 2.4 MB: about 2.4 MB-days, 2 days over ($before)");
my $rows = history_rows();
cmp_ok($rows, '>=', 1, 'history buckets written');

# A clean restart: the worker reads them back and goes on from there.
$node->restart;
wait_running('a restart');
is(overuse(), $before, 'over-use, days over and level survive a restart');
is(history_rows(), $rows, 'the history survives a restart');

# A crash (immediate stop): the same.
$node->stop('immediate');
$node->start;
wait_running('a crash');
is(overuse(), $before, 'over-use, days over and level survive a crash');
is(history_rows(), $rows, 'the history survives a crash');

# Another day, under the soft limit: over-use decays from what was kept.
$node->safe_psql('postgres', 'TRUNCATE s.t');
epoch();
set_offset('2d');
ok( $node->poll_query_until(
		'postgres',
		"SELECT updated_at > now() + interval '47 hours' FROM diskquota.quota_overuse"
		  . " WHERE target_oid = 's'::regnamespace"),
	'over-use written after the second day');
my ($kept) = $before =~ /^(\S+)/;
my $decayed = $node->safe_psql('postgres',
	"SELECT round(overuse_mb_days::numeric, 2) = round($kept * 0.95, 2)"
	  . " FROM diskquota.quotas WHERE target_name = 's'");
is($decayed, 't', 'decayed by 0.95 over a day, continuing from what survived');

# Retention: buckets older than diskquota.history_retention are deleted.
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.history_retention = '1h'; SELECT pg_reload_conf()");
set_offset('3d');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM diskquota.usage_history"
		  . " WHERE bucket_start < now() + interval '2 days'"),
	'buckets older than the retention deleted');
# an hour on, the bucket that ended is kept (it is within the retention)
set_offset('73h');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM diskquota.usage_history"
		  . " WHERE target_oid = 's'::regnamespace AND bucket_start > now() + interval '2 days'"),
	'the bucket within the retention kept');

$node->stop;
done_testing();
