from service.edge.process import main

main()
