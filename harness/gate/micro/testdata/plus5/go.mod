module example.com/microbench

go 1.22
