module gocanary

go 1.22
