#!/bin/sh
# The trace.dat of a run opens in trace-cmd (issue 13, item 1): `trace-cmd
# report` reads the main job's trace.dat without a complaint and lists the
# same events as the text trace of the same run, in the same order, with
# the same bodies where the kernel's print fmt and the text agree, the
# kernel's formats of swiotlb_bounced and dma_map_sg, the same task names
# (each workload's own), and timestamps that never go back; a run
# workload's trace.dat too; --trace-format picks the format whatever the
# name; two runs write the same bytes. Skips (77) only when trace-cmd is
# not installed.
# usage: trace_dat.sh DMASTACK WORKDIR
set -u
dmastack=$1
dir=$2
command -v trace-cmd >/dev/null 2>&1 || { echo "trace-cmd not installed: skipped"; exit 77; }
mkdir -p "$dir" || exit 1
cd "$dir" || exit 1
rm -f main.dat main2.dat.again main.txt main.rep main.err run.dat run.rep fmt.dat fmt.bin
fail() { echo "FAIL: $*"; exit 1; }

"$dmastack" --trace main.dat >/dev/null || fail "main job with --trace main.dat"
"$dmastack" --trace main.txt >/dev/null || fail "main job with --trace main.txt"
# the file depends on the run only
"$dmastack" --trace-format=dat --trace main2.dat.again >/dev/null || fail "main job, second trace.dat"
cmp -s main.dat main2.dat.again || fail "two runs wrote different trace.dat files"
head -c 10 main.dat | od -An -c | grep -q 't   r   a   c   i   n   g' || fail "main.dat is not a trace.dat"
trace-cmd report -i main.dat >main.rep 2>main.err || fail "trace-cmd report: $(cat main.err)"
[ -s main.err ] && fail "trace-cmd report complained: $(head -3 main.err)"

# the report: "cpus=N", then "COMM-PID [CPU] TS: EVENT: BODY"; the text:
# four header lines, then "COMM-PID [CPU] ..... TS: EVENT: BODY"
sed -n 2,\$p main.rep | awk '{print $4}' | sed 's/:$//' >rep.events
sed -n 5,\$p main.txt | awk '{print $5}' | sed 's/:$//' >txt.events
[ -s rep.events ] || fail "no events in the report"
cmp -s rep.events txt.events || { diff rep.events txt.events | head; fail "the report's events differ from the text trace's"; }
# every kind of event the main job makes is there
for e in dma_map_phys dma_unmap_phys dma_map_sg dma_unmap_sg dma_sync_single_for_cpu \
	 dma_sync_single_for_device dma_sync_sg_for_cpu dma_alloc dma_free swiotlb_bounced \
	 map unmap io_page_fault dma_iova_alloc dma_iova_link dma_iova_sync dma_iova_unlink \
	 dma_iova_destroy dma_iova_free dmastack_report; do
	grep -qx "$e" rep.events || fail "no $e event in the report"
done
echo "$(wc -l <rep.events) events, $(sort -u rep.events | wc -l) kinds"

# bodies: the same where the print fmt is the text's (arrays print as
# libtraceevent prints them; the IOVA API's events always show err=)
strip_rep() { sed -n 2,\$p "$1" | sed -E 's/^ *[^ ]+ +\[[0-9]+\] +[0-9]+\.[0-9]+: ([a-z_]+): +/\1: /'; }
strip_txt() { sed -n 5,\$p "$1" | sed -E 's/^ *[^ ]+ +\[[0-9]+\] \.+ +[0-9]+\.[0-9]+: //'; }
same='^(dma_map_phys|dma_unmap_phys|dma_sync_single_for_cpu|dma_sync_single_for_device|dma_alloc|dma_free|swiotlb_bounced|map|unmap|io_page_fault|dmastack_report): '
strip_rep main.rep | grep -E "$same" >rep.body
strip_txt main.txt | grep -E "$same" >txt.body
[ "$(wc -l <rep.body)" -gt 1000 ] || fail "too few events to compare"
cmp -s rep.body txt.body || { diff rep.body txt.body | head; fail "bodies differ"; }
grep -q '^dma_map_phys: 0000:04:00.0 dir=TO_DEVICE dma_addr=100000000 size=65536 phys_addr=100000000 attrs=$' rep.body ||
	fail "the first dma_map_phys"
grep -q '^io_page_fault: IOMMU:nic 0000:04:00.0 iova=0x' rep.body || fail "io_page_fault's fields"
strip_rep main.rep >all.body
grep -q '^dma_iova_link: 0000:03:00.0 dir=TO_DEVICE dma_addr=[0-9a-f]* size=4096 phys_addr=[0-9a-f]* attrs= err=0$' all.body ||
	fail "dma_iova_link's fields"
grep -q '^dma_map_sg: 0000:04:00.0 dir=BIDIRECTIONAL nents=8/8 ents=8/8 dma_addrs=4294967296 4294971392 ' all.body ||
	fail "dma_map_sg's counts and arrays"
# include/trace/events/swiotlb.h's fields and print fmt
grep -Eq '^swiotlb_bounced: dev_name: 0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] dma_mask=[0-9a-f]+ dev_addr=[0-9a-f]+ size=[0-9]+ (NORMAL|FORCE)$' rep.body ||
	fail "swiotlb_bounced's format"
grep -v '^swiotlb_bounced: dev_name: ' rep.body | grep -q '^swiotlb_bounced' && fail "a swiotlb_bounced of another format"

# tasks: the report names each event's task as the text does (a pid two
# machines gave two tasks differs in the file: compare the names), each
# workload is a task of its own name, and a pid has one name; time
comm() { sed -E 's/^ *(.*)-[0-9]+ +\[[0-9]+\].*/\1/'; }
sed -n 2,\$p main.rep | comm >rep.tasks
sed -n 5,\$p main.txt | comm >txt.tasks
cmp -s rep.tasks txt.tasks || { diff rep.tasks txt.tasks | head; fail "the report's tasks differ from the text's"; }
for t in iommu_lazy iova_api nvme odp dmabuf_p2p bounce; do
	grep -qx "$t" rep.tasks || fail "no events of task $t"
done
grep -qx dmastack rep.tasks && fail "events of the task 'dmastack': the workloads run as their own"
sed -n 2,\$p main.rep | awk '{ print $1 }' | sort -u | sed -E 's/^(.*)-([0-9]+)$/\2 \1/' |
	awk '{ if (($1 in n) && n[$1] != $2) { print "pid " $1 ": " n[$1] " and " $2; bad = 1 } n[$1] = $2 }
	     END { exit bad }' || fail "a pid with two names"
sed -n 2,\$p main.rep | awk '
	{ ts = $3; sub(/:$/, "", ts)
	  if (ts + 0 < last) { print "time goes back at line " NR + 1 ": " ts " < " last; bad = 1 }
	  last = ts + 0 }
	END { exit bad }' || fail "time"
# the run's machines each start at 0: the file's time moves on with them
last=$(tail -1 main.rep | awk '{print $3}' | tr -d :)
awk -v t="$last" 'BEGIN { exit !(t > 0) }' || fail "the last timestamp ($last) is not after the first"

# a workload on its own, with device accesses
"$dmastack" run nvme size=256K bs=64K --trace run.dat --trace-accesses >/dev/null || fail "run nvme --trace run.dat"
trace-cmd report -i run.dat >run.rep 2>&1 || fail "trace-cmd report run.dat"
grep -q 'dmastack_dev_access: *0000:[0-9a-f:.]* \(read\|write\) addr=0x' run.rep || fail "no dmastack_dev_access in run.dat"
grep -q 'dma_iova_link:' run.rep || fail "no dma_iova_link in run.dat"

# --trace-format: the format whatever the name; a bad one is refused
"$dmastack" run bounce count=1 --trace fmt.dat --trace-format=text >/dev/null || fail "--trace-format=text"
head -1 fmt.dat | grep -q '^# tracer: nop' || fail "--trace-format=text did not write text"
"$dmastack" run bounce count=1 --trace fmt.bin --trace-format dat >/dev/null || fail "--trace-format dat"
trace-cmd report -i fmt.bin 2>&1 | grep -q 'swiotlb_bounced:' || fail "--trace-format dat: no trace.dat"
"$dmastack" run bounce --trace fmt.x --trace-format=json >/dev/null 2>&1
[ $? -eq 2 ] || fail "--trace-format=json accepted"
"$dmastack" --trace /nonexistent/dir/x.dat >/dev/null 2>&1 && fail "an unwritable trace exits 0"
echo "PASS"
