// Command tcpbulk measures TCP throughput through a proxy.
//
//	tcpbulk -serve 127.0.0.1:9100          # source: writes zeros to every connection
//	tcpbulk -target 127.0.0.1:8100 -d 5s   # sink: reads through the proxy, prints MB/s
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	serve := flag.String("serve", "", "run the source on this address")
	target := flag.String("target", "", "read from this address (the proxy)")
	dur := flag.Duration("d", 5*time.Second, "how long to read")
	streams := flag.Int("c", 4, "parallel connections")
	flag.Parse()

	switch {
	case *serve != "":
		ln, err := net.Listen("tcp", *serve)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tcpbulk:", err)
			os.Exit(1)
		}
		buf := make([]byte, 256<<10)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	case *target != "":
		total := make(chan int64, *streams)
		deadline := time.Now().Add(*dur)
		for i := 0; i < *streams; i++ {
			go func() {
				c, err := net.Dial("tcp", *target)
				if err != nil {
					fmt.Fprintln(os.Stderr, "tcpbulk:", err)
					total <- 0
					return
				}
				defer c.Close()
				c.SetReadDeadline(deadline)
				n, _ := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
				total <- n
			}()
		}
		var sum int64
		for i := 0; i < *streams; i++ {
			sum += <-total
		}
		fmt.Printf("%.0f\n", float64(sum)/dur.Seconds()/1e6)
	default:
		flag.Usage()
		os.Exit(2)
	}
}
