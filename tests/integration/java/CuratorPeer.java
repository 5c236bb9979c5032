// A Curator participant driven by tests/integration/test_curator.py (compiled with javac at
// test time against Debian's Curator 5 jars). It prints the same lines as the Swift examples
// (leader-election, distributed-lock), one per line, flushed at once:
//
//   latch CONNECT PATH ID      LeaderLatch(PATH, ID); "ID is now the leader" / "ID is no longer
//                              the leader"; stdin "nodes" prints "ID nodes: a,b"; stdin "close"
//                              (or EOF) closes the latch and exits 0.
//   mutex CONNECT PATH ID N HOLD_MS COUNTER_FILE
//                              N times: InterProcessMutex.acquire, "ID acquired PATH", then while
//                              holding a read-modify-write of the number in COUNTER_FILE spread
//                              over HOLD_MS ("ID working, lock nodes: a,b" each step; HOLD_MS < 0:
//                              hold until stdin says "release"), "ID counter A -> B",
//                              "ID releasing PATH", release, "ID released PATH".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class CuratorPeer {
    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String nodes(CuratorFramework client, String path) throws Exception {
        List<String> children = new ArrayList<>(client.getChildren().forPath(path));
        Collections.sort(children);
        return String.join(",", children);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0], connect = args[1], path = args[2], id = args[3];
        CuratorFramework client = CuratorFrameworkFactory.newClient(
            connect, 4000, 15000, new ExponentialBackoffRetry(100, 5));
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            System.err.println(id + ": no connection");
            System.exit(1);
        }
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (mode.equals("latch")) {
            LeaderLatch latch = new LeaderLatch(client, path, id);
            latch.addListener(new LeaderLatchListener() {
                public void isLeader() { say(id + " is now the leader"); }
                public void notLeader() { say(id + " is no longer the leader"); }
            });
            latch.start();
            say(id + " started");
            String line;
            while ((line = stdin.readLine()) != null && !line.equals("close")) {
                if (line.equals("nodes")) say(id + " nodes: " + nodes(client, path));
            }
            latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
            say(id + " closed");
        } else if (mode.equals("mutex")) {
            int iterations = Integer.parseInt(args[4]);
            long holdMs = Long.parseLong(args[5]);
            Path counter = Paths.get(args[6]);
            InterProcessMutex mutex = new InterProcessMutex(client, path);
            for (int i = 0; i < iterations; i++) {
                say(id + " waiting for " + path);
                mutex.acquire();
                say(id + " acquired " + path);
                int before = Integer.parseInt(new String(Files.readAllBytes(counter), StandardCharsets.UTF_8).trim());
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(holdMs, 0));
                do {
                    say(id + " working, lock nodes: " + nodes(client, path));
                    if (holdMs < 0) {
                        String line = stdin.readLine();
                        if (line == null || line.equals("release")) break;
                    } else {
                        Thread.sleep(Math.min(100, Math.max(holdMs, 1)));
                    }
                } while (holdMs < 0 || System.nanoTime() < end);
                Files.write(counter, (before + 1 + "\n").getBytes(StandardCharsets.UTF_8));
                say(id + " counter " + before + " -> " + (before + 1));
                say(id + " releasing " + path);
                mutex.release();
                say(id + " released " + path);
            }
        } else {
            System.err.println("unknown mode " + mode);
            System.exit(2);
        }
        client.close();
        System.exit(0);
    }
}
