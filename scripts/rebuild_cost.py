#!/usr/bin/env python3
# Which objects of a ninja build depend on a header, and their compile time in the last build
# (.ninja_log): the cost of changing it. Usage: python3 scripts/rebuild_cost.py BUILD_DIR HEADER
import subprocess, sys, os
build, header = sys.argv[1], sys.argv[2]
out = subprocess.run(['ninja', '-C', build, '-t', 'deps'], capture_output=True, text=True).stdout
objs, total, cur = set(), set(), None
for line in out.splitlines():
    if line and not line.startswith(' '):
        cur = line.split(':')[0]
        if cur.endswith('.o'): total.add(cur)
    elif cur and cur.endswith('.o') and line.strip().endswith(header):
        objs.add(cur)
times = {}
for line in open(os.path.join(build, '.ninja_log')):
    if line.startswith('#'): continue
    start, end, _, target, _ = line.rstrip('\n').split('\t')
    times[target] = (int(end) - int(start)) / 1000
secs = sum(times.get(o, 0) for o in objs)
print(f'{header}: {len(objs)} of {len(total)} objects, {secs:.0f} s of compile time in the last build ({sum(o in times for o in objs)} timed)')
