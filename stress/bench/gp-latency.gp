# gp-latency.gp: grace-period latency per flavor with 0, 1 and 2 readers
# running, from urcu-tlb-bench's gp-latency.dat.  Bar: the median, whisker
# up to the 99th percentile.
#   gnuplot -e "dir='DIR'" gp-latency.gp   writes DIR/gp-latency.png
if (!exists("dir")) dir = "."
data = dir."/gp-latency.dat"

set terminal pngcairo size 1100,600 font ",11"
set output dir."/gp-latency.png"
set title "Grace-period latency: replace + synchronize\\_rcu (bar: median, whisker: 99th percentile)"
set ylabel "microseconds (log scale)"
set logscale y
set yrange [0.01:*]
set grid ytics
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set xtics rotate by -30 nomirror
set key outside right top
plot data skip 1 using 2:2:3:xtic(1) title "0 readers", \
     '' skip 1 using 4:4:5 title "1 reader", \
     '' skip 1 using 6:6:7 title "2 readers"
