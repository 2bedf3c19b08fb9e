# reader-scaling.gp: total reads per second against the number of reader
# threads, one line per flavor, from urcu-tlb-bench's reader-scaling.dat.
#   gnuplot -e "dir='DIR'" reader-scaling.gp   writes DIR/reader-scaling.png
if (!exists("dir")) dir = "."
data = dir."/reader-scaling.dat"
names = system("head -n 1 '".data."'")
ncol = words(names)
# One color per flavor; liburcu-tlb's mechanisms drawn thicker.
colors = "#1f77b4 #ff7f0e #2ca02c #9467bd #8c564b #7f7f7f #d62728 #000000 #e377c2"

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
plot for [i=2:ncol] data using 1:i with linespoints pt (i % 7 + 1) \
	lc rgb word(colors, i - 1) lw (strstrt(word(names, i), "tlb") ? 2.5 : 1.5) \
	title columnheader(i)
