#!/usr/bin/env python3
"""Merges the per-seed JSON of several `graphenas tabular --json` runs of one data set (e.g. seeds 101-150
and 151-200) into the tables of RESULTS.md: mean ± std (standard error) per strategy, and the paired
differences with the same formulas as `graphenas tabular --versus` (stats.PairedDiff). Usage:
    python3 merge.py CIFAR-10 stage1-cifar10.json stage2-cifar10.json
    python3 merge.py CIFAR-10 --sigma 1 stage3-cifar10-sigma1.json
(--sigma only labels the table: the JSON does not record the noise it was run at; 0.5 by default).
"""
import json, math, sys
def load(p):
    d=json.load(open(p))
    return d
def stats(v):
    n=len(v); m=sum(v)/n
    sd=math.sqrt(sum((x-m)**2 for x in v)/(n-1)) if n>1 else 0
    return m, sd, sd/math.sqrt(n)
def merged(files):
    out={}
    for f in files:
        d=load(f)
        for name,r in d.items():
            if not isinstance(r,dict) or 'scores' not in r: continue
            o=out.setdefault(name,{'seeds':[], 'per':{}})
            o['seeds']+=r.get('seeds',[])
            for sc in r['scores']:
                o['per'].setdefault(sc['queries'],[]).extend(sc['per_seed'])
    return out
ds=sys.argv[1]; files=sys.argv[2:]; sigma='0.5'
if files[:1]==['--sigma']:
    sigma, files = files[1], files[2:]
m=merged(files)
names=sorted(m)
qs=sorted(next(iter(m.values()))['per'])
seeds=m[names[0]]['seeds']
for n in names:
    assert m[n]['seeds']==seeds, n
print(f"#### {ds}, σ = {sigma} (seeds {min(seeds)}–{max(seeds)}, n = {len(seeds)})\n")
print("| strategy | "+" | ".join(f"best of {q}" for q in qs)+" |")
print("|---|"+"---|"*len(qs))
for n in names:
    cells=[]
    for q in qs:
        mu,sd,se=stats(m[n]['per'][q]); cells.append(f"{mu:.2f} ± {sd:.2f} ({se:.3f})")
    print(f"| {n} | "+" | ".join(cells)+" |")
def paired(a,b,q):
    d=[x-y for x,y in zip(m[a]['per'][q],m[b]['per'][q])]
    mu,sd,se=stats(d); return mu,se,(mu/se if se>0 else 0)
print("\n| paired difference | "+" | ".join(f"best of {q}" for q in qs)+" |")
print("|---|"+"---|"*len(qs))
for a,b in [('graphenas-gp','gp-local'),('graphenas','evolution')]:
    cells=[]
    for q in qs:
        mu,se,z=paired(a,b,q); cells.append(f"{mu:+.3f} (SE {se:.3f}, {z:+.1f} SE)")
    print(f"| {a} − {b} | "+" | ".join(cells)+" |")
mean_pick=['evolution','local','random']; gp_pick=['gp-local','evolution:pick=gp','local:pick=gp','random:pick=gp']
for q in qs:
    for rule,base in [('mean',mean_pick),('gp',gp_pick)]:
        best=max(base,key=lambda n: stats(m[n]['per'][q])[0])
        cells=[]
        for own in ['graphenas-gp','graphenas']:
            mu,se,z=paired(own,best,q); cells.append(f"{own} {mu:+.3f} ({z:+.1f} SE)")
        print(f"| best of {q}, strongest baseline with pick={rule}: {best} | "+" | ".join(cells)+" |")
