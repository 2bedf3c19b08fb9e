# reader-scaling.gp: total reads per second against the number of reader
# threads, one line per flavor, from urcu-tlb-bench's reader-scaling.dat.
#   gnuplot -e "dir='DIR'" reader-scaling.gp   writes DIR/reader-scaling.png
if (!exists("dir")) dir = "."
data = dir."/reader-scaling.dat"
ncol = words(system("head -n 1 '".data."'"))

set terminal pngcairo size 960,600 font ",11"
set output dir."/reader-scaling.png"
set title "Reader scaling: total reads per second, no updater (median of the repetitions)"
set xlabel "reader threads"
set ylabel "millions of reads per second (log scale)"
set logscale xy
set xtics ("1" 1, "2" 2, "4" 4, "8" 8)
set xrange [0.8:10]
set grid
set key outside right top
plot for [i=2:ncol] data using 1:i with linespoints lw 2 pt (i % 7 + 1) title columnheader(i)
